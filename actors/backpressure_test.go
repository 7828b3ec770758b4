package actors

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/transport"
	"github.com/stretchr/testify/require"
)

// stalledServer completes the handshake, then stops reading until resume
// is closed; after that it discards everything until the client hangs up.
func stalledServer(t *testing.T) (*scriptedServer, func()) {
	resume := make(chan struct{})
	var once sync.Once
	closer := func() { once.Do(func() { close(resume) }) }
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		_, _ = conn.Write([]byte(connectedFrame("1.2")))
		<-resume
		_, _ = io.Copy(io.Discard, r)
	})
	t.Cleanup(closer) // registered after the server's: runs before it waits
	return srv, closer
}

// fillOutgoingQueue sends 1 MiB frames without waiting until one cannot be
// queued before its short deadline, and returns that error.
func fillOutgoingQueue(t *testing.T, c *Conn) error {
	t.Helper()
	body := make([]byte, 1<<20)
	for range 500 {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		f := frames.New(frames.CmdSend, "destination", "/big")
		f.Body = body
		err := c.Send(ctx, f, 0, false)
		cancel()
		if err != nil {
			return err
		}
	}
	t.Fatal("the outgoing queue never filled")
	return nil
}

// With a server that stops reading, MaxPendingWrites bounds what Send
// queues: a Send then waits and fails at its context's deadline,
// ReadyToSend is false, and ReadyToSendEvent fires once the queue drains.
func TestBackpressureOutgoingQueue(t *testing.T) {
	srv, resume := stalledServer(t)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingWrites: 2})
	require.True(t, c.ReadyToSend())

	err := fillOutgoingQueue(t, c)
	require.ErrorIs(t, err, ErrTimeout)
	require.False(t, c.ReadyToSend())
	require.Equal(t, Connected, c.State(), "a full queue is not an error of the connection")
	// The queue may have filled and drained while the socket buffers
	// filled up; what matters is the event after the stall ends.
	before := count[*ReadyToSendEvent](rec, nil)

	resume()
	waitEventN[*ReadyToSendEvent](t, rec, before+1, nil)
	waitFor(t, "ReadyToSend", c.ReadyToSend)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/after"), 0, true))
}

// gateConn is a client connection whose writes block while held, as if
// the network stalled; Close releases them.
type gateConn struct {
	net.Conn
	held    atomic.Bool
	blocked chan struct{} // a write is waiting (one token)
	closed  chan struct{}
	once    sync.Once
}

func (g *gateConn) Write(p []byte) (int, error) {
	if g.held.Load() {
		select {
		case g.blocked <- struct{}{}:
		default:
		}
		<-g.closed
		return 0, net.ErrClosed
	}
	return g.Conn.Write(p)
}

func (g *gateConn) Close() error {
	g.once.Do(func() { close(g.closed) })
	return g.Conn.Close()
}

// gateDialer dials TCP and hands each connection to the test.
func gateDialer(conns chan<- *gateConn) transport.Dialer {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		g := &gateConn{Conn: c, blocked: make(chan struct{}, 1), closed: make(chan struct{})}
		conns <- g
		return g, nil
	}
}

// Calls whose frames wait behind a stalled write learn that the connection
// ended instead of waiting for their own deadlines.
func TestPendingCallsFailWhenConnectionEnds(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), nil)
	conns := make(chan *gateConn, 1)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Dial: gateDialer(conns)})
	g := recv(t, conns, "the connection")
	expectFrame(t, got, frames.CmdConnect)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "before", Destination: "/q"})
	require.NoError(t, err)
	expectFrame(t, got, frames.CmdSubscribe)

	g.held.Store(true)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/stuck"), 0, false))
	recv(t, g.blocked, "the writer to block")

	// Each of these is accepted by its actor and queued behind the
	// stalled write.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := make(chan error, 3)
	go func() { _, err := c.Subscribe(ctx, SubscribeSpec{ID: "after", Destination: "/q2"}); errs <- err }()
	go func() { errs <- c.Begin(ctx, "tx", 0) }()
	go func() { errs <- c.Unsubscribe(ctx, "before", 0) }()
	waitFor(t, "the requests to reach the writer", func() bool {
		subs := c.Subscriptions()
		return len(subs) == 1 && subs[0].ID == "after" && len(c.OpenTransactions(ctx)) == 1
	})
	c.Interrupt()
	for range 3 {
		err := recv(t, errs, "a pending call")
		require.NotErrorIs(t, err, ErrTimeout, "answered by the connection's end, not the deadline")
		require.ErrorIs(t, err, ErrInterrupted)
	}
}

// QueueSize bounds the messages not yet handled: those whose handler
// returned give their places back at once, even within a burst the
// subscription is still working through. Here a burst of four fills
// QueueSize 4; the handler is busy with the fourth when three more come,
// which fit (the fourth and these three), so FullError does not end the
// connection.
func TestQueueSizeCountsOnlyUnhandledMessages(t *testing.T) {
	message := func(i int) string {
		return rawFrame("MESSAGE", "x", "subscription", "s", "message-id", "m"+strconv.Itoa(i), "destination", "/q")
	}
	peers := make(chan *peer, 1)
	srv, _ := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		if f.Command == frames.CmdSubscribe {
			p.write(message(0) + message(1) + message(2) + message(3)) // one write: one batch
			peers <- p
		}
		return f.Command != frames.CmdDisconnect
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	busy, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the client's cleanup, should the test fail
	handled := make(chan string, 8)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s", Destination: "/q", QueueSize: 4, OnFull: FullError, Handler: func(m Message) AckAction {
		if m.MessageID == "m3" {
			close(busy)
			<-release
		}
		handled <- m.MessageID
		return AckNone
	}})
	require.NoError(t, err)
	p := recv(t, peers, "the broker's side")
	recv(t, busy, "the handler busy with the fourth message")
	p.write(message(4) + message(5) + message(6))
	waitFor(t, "the three more queued", func() bool { return c.routes.Load().list[0].queued.Load() == 4 })
	unblock()
	for i := range 7 {
		require.Equal(t, "m"+strconv.Itoa(i), recv(t, handled, "a handled message"))
	}
	_, connected := c.Info()
	require.True(t, connected, "the connection is up: nothing overflowed")
}
