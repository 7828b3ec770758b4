package sim

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// newProxy starts a broker and a proxy in front of it with plan.
func newProxy(t *testing.T, plan Plan, opts ...Option) (*Broker, *Proxy) {
	t.Helper()
	b := newBroker(t, opts...)
	p, err := NewProxy(b.Addr(), plan)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return b, p
}

// runProxied sends the pipelined conversation through a proxy with plan
// and reads every frame until the connection ends.
func runProxied(t *testing.T, plan Plan, _ ...Option) transcript {
	t.Helper()
	b, p := newProxy(t, plan)
	c := tcpClient(t, p.Addr())
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.conn, pipelined)
		werr <- err
	}()
	tr := transcript{}
	c.readToEnd(&tr)
	_ = c.conn.Close()
	<-werr
	require.NoError(t, p.Close())
	require.NoError(t, b.Close())
	tr.events = p.FaultEvents()
	return tr
}

func TestProxyPassesThrough(t *testing.T) {
	direct := runPipelined(t, nil)
	tr := twice(t, runProxied, nil)
	assert.Equal(t, direct.frames, tr.frames, "the proxy changes nothing without faults")
	assert.Equal(t, "eof", tr.end)
}

func TestProxyKeepsEachVersionsEscaping(t *testing.T) {
	for _, tt := range []struct{ version, header string }{
		{"1.0", "x:a\\b:c"},     // 1.0 has no escapes: sent raw
		{"1.1", "x:a\\\\b\\cc"}, // 1.1 escapes backslash and colon
		{"1.2", "x:a\\\\b\\cc"}, // so does 1.2
	} {
		t.Run(tt.version, func(t *testing.T) {
			_, p := newProxy(t, nil)
			c := tcpClient(t, p.Addr())
			c.connect(tt.version)
			c.sendSync("SUBSCRIBE", "id:0", "destination:/queue/esc")
			c.send("SEND\ndestination:/queue/esc\n" + tt.header + "\n\nbody\x00")
			m := c.expect("MESSAGE")
			assert.Contains(t, m.raw, "\n"+tt.header+"\n")
		})
	}
}

func TestProxySplitAndChunks(t *testing.T) {
	direct := runPipelined(t, nil)
	t.Run("single bytes", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "bytes", Kind: SplitWrites}})
		assert.Equal(t, direct.frames, tr.frames)
		assert.Len(t, tr.events, len(strings.Join(direct.frames, "")))
	})
	t.Run("random chunks", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "chunks", Kind: RandomChunks, Chunk: 8, Seed: 3}})
		assert.Equal(t, direct.frames, tr.frames)
		for _, e := range tr.events {
			assert.LessOrEqual(t, e.Size, 8)
		}
	})
	t.Run("to the server", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "in", Kind: RandomChunks, Dir: ToServer, Chunk: 5, Seed: 9}})
		assert.Equal(t, direct.frames, tr.frames)
	})
}

func TestProxyDelayWrites(t *testing.T) {
	direct := runPipelined(t, nil)
	tr := runProxied(t, Plan{{Name: "slow", Kind: DelayWrites, Delay: time.Millisecond, Jitter: time.Millisecond, Seed: 1}})
	assert.Equal(t, direct.frames, tr.frames)
	require.NotEmpty(t, tr.events)
}

func TestProxyDropAfterBytes(t *testing.T) {
	direct := runPipelined(t, nil)
	tr := twice(t, runProxied, Plan{{Name: "cut", Kind: DropConn, AfterBytes: 100}})
	all := strings.Join(direct.frames, "")
	got := strings.Join(tr.frames, "")
	assert.Equal(t, all[:len(got)], got, "what arrived is a prefix of the clean stream")
	assert.Equal(t, []FaultEvent{{Fault: "cut", Kind: DropConn, Conn: 1, Offset: 100}}, tr.events)
}

func TestProxyCorruptByte(t *testing.T) {
	tr := twice(t, runProxied, Plan{{Name: "flip", Kind: CorruptByte, AfterBytes: 1, Mask: 0x20}})
	assert.True(t, strings.HasPrefix(tr.frames[0], "CoNNECTED\n"), tr.frames[0])
}

func TestProxyFrameFaults(t *testing.T) {
	t.Run("duplicate", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "dup", Kind: DuplicateMessage, Nth: 3}})
		assert.Equal(t, []string{"one", "two", "three", "three"}, bodies(tr.frames))
	})
	t.Run("redeliver", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "again", Kind: RedeliverMessage}})
		assert.Equal(t, []string{"one", "one", "two", "three"}, bodies(tr.frames))
		assert.Contains(t, tr.frames[3], "redelivered:true")
	})
	t.Run("withhold receipt", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "lost", Kind: WithholdReceipt}})
		assert.Equal(t, []string{"receipt-id:p1", "receipt-id:p2", "receipt-id:p3", "receipt-id:bye"}, receiptIDs(tr.frames))
	})
	t.Run("no disconnect receipt", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "rude", Kind: NoDisconnectReceipt}})
		assert.Equal(t, []string{"receipt-id:s", "receipt-id:p1", "receipt-id:p2", "receipt-id:p3"}, receiptIDs(tr.frames))
		assert.Equal(t, "eof", tr.end)
	})
	t.Run("error", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "oops", Kind: SendError, OnCommand: frames.CmdMessage, Nth: 2, Message: "hiccup"}})
		assert.Equal(t, []string{"CONNECTED", "RECEIPT", "MESSAGE", "RECEIPT", "ERROR", "MESSAGE", "RECEIPT", "MESSAGE", "RECEIPT", "RECEIPT"}, commands(tr.frames))
	})
	t.Run("fatal error", func(t *testing.T) {
		tr := twice(t, runProxied, Plan{{Name: "fatal", Kind: SendError, AfterFrames: 1, Fatal: true}})
		assert.Equal(t, []string{"CONNECTED", "ERROR"}, commands(tr.frames))
		assert.Equal(t, "eof", tr.end)
	})
	t.Run("drop on a client frame", func(t *testing.T) {
		b, p := newProxy(t, Plan{{Name: "cut", Kind: DropConn, Dir: ToServer, OnCommand: frames.CmdSend}})
		c := tcpClient(t, p.Addr())
		c.connect("1.2")
		c.sendSync("SUBSCRIBE", "id:0", "destination:/queue/never")
		c.send("SEND\ndestination:/queue/never\n\nlost\x00")
		c.expectClosed()
		waitFor(t, "the broker to see the connection end", func() bool { return len(b.Connections()) == 0 })
		d, _ := b.Destination("/queue/never")
		assert.Zero(t, d.Enqueued, "the SEND never reached the broker")
	})
}

func TestProxyStopHeartbeats(t *testing.T) {
	_, p := newProxy(t, Plan{{Name: "mute", Kind: StopHeartbeats, After: 50 * time.Millisecond}}, WithHeartbeat(5*time.Millisecond, 0))
	c := tcpClient(t, p.Addr())
	c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,5\n\n\x00")
	c.expect("CONNECTED")
	for c.heartbeats == 0 { // heart-beats pass at first
		require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(wait)))
		_, err := c.r.ReadString('\n')
		require.NoError(t, err)
		c.heartbeats++
	}
	waitFor(t, "the fault to fire", func() bool { return len(p.FaultEvents()) == 1 })
	c.sendSync("SEND", "destination:/queue/a") // read what was in flight
	require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, err := c.r.ReadByte()
	assert.True(t, isTimeout(err), "no heart-beat after the fault: %v", err)
}

func TestProxySendErrorAfterTime(t *testing.T) {
	_, p := newProxy(t, Plan{{Name: "timer", Kind: SendError, After: 20 * time.Millisecond, Fatal: true, Message: "bye"}})
	c := tcpClient(t, p.Addr())
	c.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	f := c.read()
	if f.cmd == "CONNECTED" { // unless the timer beat the broker's answer
		f = c.read()
	}
	assert.Equal(t, "ERROR", f.cmd)
	assert.Equal(t, "bye", f.get("message"))
	c.expectClosed()
}

func TestProxyAcceptFaults(t *testing.T) {
	_, p := newProxy(t, Plan{
		{Name: "no", Kind: RefuseAccept, Conn: 1},
		{Name: "wait", Kind: StallAccept, Conn: 2, Delay: 30 * time.Millisecond},
	})
	c1 := tcpClient(t, p.Addr())
	c1.expectClosed()
	start := time.Now()
	c2 := tcpClient(t, p.Addr())
	c2.connect("1.2")
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
	c3 := tcpClient(t, p.Addr())
	c3.connect("1.1")
	waitFor(t, "both accept faults to be logged", func() bool { return len(p.FaultEvents()) == 2 })
}

func TestProxyStopReading(t *testing.T) {
	b, p := newProxy(t, Plan{{Name: "alarm", Kind: StopReading, AfterBytes: int64(len(lockstep[0].frame))}})
	c := tcpClient(t, p.Addr())
	c.send(lockstep[0].frame)
	c.expect("CONNECTED")
	chunk := []byte(strings.Repeat("SEND\ndestination:/queue/a\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x00", 1<<14))
	var err error
	for total := 0; err == nil && total < 1<<30; total += len(chunk) {
		require.NoError(t, c.conn.SetWriteDeadline(time.Now().Add(200*time.Millisecond)))
		_, err = c.conn.Write(chunk)
	}
	assert.True(t, isTimeout(err), "write: %v", err)
	ci, ok := b.Connection(1)
	require.True(t, ok)
	assert.Equal(t, uint64(1), ci.Frames, "only the CONNECT got through")
}

func TestProxyTargetDown(t *testing.T) {
	b := newBroker(t)
	addr := b.Addr()
	require.NoError(t, b.Close())
	p, err := NewProxy(addr, nil)
	require.NoError(t, err)
	defer p.Close()
	c := tcpClient(t, p.Addr())
	c.expectClosed()
}

func TestProxyRejectsBadPlan(t *testing.T) {
	_, err := NewProxy("127.0.0.1:1", Plan{{Kind: DropConn}})
	assert.Error(t, err)
}
