package sim

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

func TestConnectionsAndReceivedLog(t *testing.T) {
	b := newBroker(t, WithFrameLog(3), WithUser("u", "p"))
	c := pipeClient(t, b)
	c.send("CONNECT\naccept-version:1.1\nhost:/\nlogin:u\npasscode:p\n\n\x00")
	c.expect("CONNECTED")
	c.sendSync("SUBSCRIBE", "id:0", "destination:/queue/log")
	c.sendSync("SEND", "destination:/queue/log", "x:a\\cb")
	c.expect("MESSAGE")
	c.sendSync("BEGIN", "transaction:t")

	cs := b.Connections()
	require.Len(t, cs, 1)
	ci := cs[0]
	assert.Equal(t, 1, ci.Conn)
	assert.Equal(t, "sim-1", ci.Session)
	assert.True(t, ci.Connected)
	assert.Equal(t, frames.V11, ci.Version)
	assert.Equal(t, "u", ci.Login)
	assert.Equal(t, uint64(4), ci.Frames)
	require.Len(t, ci.Received, 3, "the log keeps the last three frames")
	assert.Equal(t, frames.CmdSubscribe, ci.Received[0].Command)
	assert.Equal(t, frames.CmdSend, ci.Received[1].Command)
	assert.Equal(t, "a:b", ci.Received[1].Header("x"), "logged frames are decoded")
	assert.Equal(t, frames.CmdBegin, ci.Received[2].Command)
	ci.Received[1].Headers[0].Value = "changed"
	again, _ := b.Connection(1)
	assert.Equal(t, "/queue/log", again.Received[1].Header("destination"), "the log hands out copies")

	s := b.Stats()
	assert.Equal(t, 1, s.Connections)
	assert.Equal(t, 1, s.Accepted)
	assert.Equal(t, uint64(1), s.Sent)
	assert.Equal(t, uint64(1), s.Delivered)
	require.Len(t, s.Destinations, 1)
	assert.Equal(t, DestinationInfo{Name: "/queue/log", Subscribers: 1, Enqueued: 1, Delivered: 1}, s.Destinations[0])
}

func TestSendErrorNonFatal(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	require.NoError(t, b.SendError(1, "queue is being moved", false))
	f := c.expect("ERROR")
	assert.Equal(t, "queue is being moved", f.get("message"))
	c.sendSync("SEND", "destination:/queue/a")
	ci, ok := b.Connection(1)
	require.True(t, ok)
	assert.True(t, ci.Connected)
}

func TestSendErrorFatal(t *testing.T) {
	b := newBroker(t)
	c := tcpClient(t, b.Addr())
	c.connect("1.2")
	require.NoError(t, b.SendError(1, "shutting down", true))
	assert.Equal(t, "shutting down", c.expect("ERROR").get("message"))
	c.expectClosed()
	assert.Error(t, b.SendError(1, "again", false), "the connection is gone")
	assert.Error(t, b.SendError(7, "nobody", false))
}

func TestCloseConnection(t *testing.T) {
	b := newBroker(t)
	c, _ := consumer(t, b, "1.2", "client", 1)
	require.NoError(t, b.CloseConnection(1))
	c.expectClosed()
	waitFor(t, "the message to be back", func() bool { return ready(t, b, "/queue/q") == 1 })
}

func TestCloseConnectionsDropsEveryOpenConnection(t *testing.T) {
	b := newBroker(t)
	c1, _ := consumer(t, b, "1.2", "client", 1)
	c2 := tcpClient(t, b.Addr())
	c2.connect("1.2")
	n, err := b.CloseConnections()
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	c1.expectClosed()
	c2.expectClosed()
	waitFor(t, "the message to be back", func() bool { return ready(t, b, "/queue/q") == 1 })
	c3 := tcpClient(t, b.Addr())
	c3.connect("1.2") // the broker still listens
	require.NoError(t, b.Close())
	_, err = b.CloseConnections()
	assert.ErrorIs(t, err, ErrClosed)
}

func TestWithListenerServesTheCallersListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := newBroker(t, WithListener(ln))
	assert.Equal(t, ln.Addr().String(), b.Addr())
	c := tcpClient(t, b.Addr())
	c.connect("1.2")
	require.NoError(t, b.Close())
	_, err = ln.Accept()
	assert.ErrorIs(t, err, net.ErrClosed, "Close closed the listener")
}

func TestSlowConsumerIsFlowControlled(t *testing.T) {
	const n, bound = 200, 8
	b := newBroker(t, WithOutboundQueue(bound))
	slow := pipeClient(t, b)
	slow.connect("1.2")
	slow.sendSync("SUBSCRIBE", "id:0", "destination:/queue/slow")
	p := pipeClient(t, b)
	p.connect("1.2")
	var all strings.Builder
	for i := range n {
		fmt.Fprintf(&all, "SEND\ndestination:/queue/slow\nn:%d\n\n%d\x00", i, i)
	}
	p.send(all.String())
	p.sendSync("SEND", "destination:/queue/other") // the producer is not held up
	// The consumer reads nothing: at most two queue-fulls went its way.
	// A queue is full once it holds bound items or more, and one event
	// adds at most bound, so a full queue holds at most 2*bound-1: the
	// batch the writer took (and is stuck writing) and the queue behind
	// it hold at most 4*bound-2 between them, however the events fell.
	waitFor(t, "delivery to stop", func() bool {
		ci, _ := b.Connection(1)
		return ci.Blocked
	})
	d, _ := b.Destination("/queue/slow")
	assert.LessOrEqual(t, int(d.Delivered), 4*bound-2)
	assert.Equal(t, n, d.Ready+int(d.Delivered))
	// Messages held while the broker decoded the rest of the burst kept
	// their headers and bodies intact.
	for i := range n {
		m := slow.expect("MESSAGE")
		assert.Equal(t, fmt.Sprint(i), m.body)
		assert.Equal(t, fmt.Sprint(i), m.get("n"))
	}
	waitFor(t, "the queue to drain", func() bool { return ready(t, b, "/queue/slow") == 0 })
}

func TestProducerFlowControl(t *testing.T) {
	const max, n = 10, 2000
	b := newBroker(t, WithMaxQueued(max))
	p := pipeClient(t, b)
	p.connect("1.2")
	done := make(chan error, 1)
	go func() {
		// One write per frame: over a pipe each reaches the broker alone.
		for i := range n {
			if _, err := io.WriteString(p.conn, fmt.Sprintf("SEND\ndestination:/queue/full\n\n%d\x00", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	waitFor(t, "the broker to stop reading the producer", func() bool { return b.flow.waitCh() != nil })
	// Frames already on their way to the owner still land, but no more.
	assert.LessOrEqual(t, b.Stats().Queued, max+eventQueueSize+1)
	select {
	case err := <-done:
		t.Fatalf("the producer was not held back (err %v)", err)
	default:
	}
	c := pipeClient(t, b)
	c.connect("1.2")
	c.send("SUBSCRIBE\nid:0\ndestination:/queue/full\n\n\x00")
	for i := range n {
		assert.Equal(t, fmt.Sprint(i), c.expect("MESSAGE").body)
	}
	require.NoError(t, <-done)
	assert.Nil(t, b.flow.waitCh(), "the gate reopened")
}

func TestClosedBroker(t *testing.T) {
	b, err := NewBroker(WithListenAddr(""))
	require.NoError(t, err)
	assert.Empty(t, b.Addr())
	c := pipeClient(t, b)
	c.connect("1.2")
	require.NoError(t, b.Close())
	c.expectClosed()
	require.NoError(t, b.Close())
	_, err = b.ServePipe()
	assert.ErrorIs(t, err, ErrClosed)
	assert.Equal(t, Stats{}, b.Stats())
	assert.ErrorIs(t, b.SendError(1, "x", false), ErrClosed)
}

func TestOptionsValidate(t *testing.T) {
	bad := map[string]Option{
		"no versions":   WithVersions(),
		"bad version":   WithVersions(13),
		"tolerance":     WithHeartbeatTolerance(0.5),
		"outbound":      WithOutboundQueue(0),
		"max queued":    WithMaxQueued(0),
		"negative hb":   WithHeartbeat(-1, 0),
		"empty prefix":  WithQueuePrefixes(""),
		"frame log":     WithFrameLog(-1),
		"linger":        WithLinger(0),
		"unnamed fault": WithPlan(Plan{{Kind: DropConn}}),
	}
	for name, opt := range bad {
		_, err := NewBroker(opt)
		assert.Error(t, err, name)
	}
}
