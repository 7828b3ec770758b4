package sim

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// quiet is how long a test waits to see that nothing arrives.
const quiet = 150 * time.Millisecond

// expectNothing checks that no byte arrives within quiet.
func (c *client) expectNothing() {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(quiet)))
	b, err := c.r.Peek(1)
	require.Error(c.t, err, "expected nothing, got %q", b)
	require.True(c.t, isTimeout(err), "expected nothing, got %v", err)
}

// A test stops reading a live connection, sees a SEND held, and clears the
// alarm: the SEND is read and answered.
func TestInjectStopReadingOnAnOpenConnectionUntilCleared(t *testing.T) {
	b := newBroker(t)
	c := tcpClient(t, b.Addr())
	c.connect("1.2")
	c.sendSync("SEND", "destination:/queue/a")

	require.NoError(t, b.Inject(Fault{Name: "alarm", Kind: StopReading, Conn: 1}))
	waitFor(t, "the alarm to hold the reader", func() bool { return len(b.FaultEvents()) == 1 })
	c.send("SEND\ndestination:/queue/a\nreceipt:held\n\nwhile stopped\x00")
	c.expectNothing()
	d, _ := b.Destination("/queue/a")
	assert.Equal(t, uint64(1), d.Enqueued, "the SEND sent during the alarm was not read")

	require.NoError(t, b.Clear("alarm"))
	r := c.expect("RECEIPT")
	assert.Equal(t, "held", r.get("receipt-id"))
	d, _ = b.Destination("/queue/a")
	assert.Equal(t, uint64(2), d.Enqueued)
	ev := b.FaultEvents()
	require.Len(t, ev, 1)
	assert.Equal(t, FaultEvent{Fault: "alarm", Kind: StopReading, Conn: 1, Dir: ToServer}, ev[0])
}

// The same with the broker's heart-beat deadline armed: the stall is not
// the client's silence, however long it lasts.
func TestInjectStopReadingWithHeartbeatsIsNotSilence(t *testing.T) {
	b := newBroker(t, WithHeartbeat(0, 20*time.Millisecond))
	c := tcpClient(t, b.Addr())
	c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:20,0\n\n\x00")
	c.expect("CONNECTED")
	c.send("\n")
	require.NoError(t, b.Inject(Fault{Name: "alarm", Kind: StopReading, Conn: 1, Delay: 200 * time.Millisecond}))
	c.send("SEND\ndestination:/queue/a\nreceipt:r\n\nx\x00")
	r := c.expect("RECEIPT")
	assert.Equal(t, "r", r.get("receipt-id"))
	assert.Zero(t, b.Stats().HeartbeatTimeouts)
}

// StallWrites on a live connection holds what the broker sends until
// cleared.
func TestInjectStallWritesUntilCleared(t *testing.T) {
	b := newBroker(t)
	c := pipeClient(t, b)
	c.connect("1.2")
	require.NoError(t, b.Inject(Fault{Name: "stall", Kind: StallWrites, Conn: 1}))
	c.send("SEND\ndestination:/queue/a\nreceipt:r\n\nx\x00")
	waitFor(t, "the SEND to be published", func() bool {
		d, ok := b.Destination("/queue/a")
		return ok && d.Enqueued == 1
	})
	c.expectNothing()
	require.NoError(t, b.Clear("stall"))
	assert.Equal(t, "r", c.expect("RECEIPT").get("receipt-id"))
}

// A frame fault injected on a live connection counts its triggers from
// the Inject; StopHeartbeats ends when cleared.
func TestInjectFrameFaultsOnAnOpenConnection(t *testing.T) {
	var h hookRecorder
	b := newBroker(t, WithFaultHook(h.hook))
	c := pipeClient(t, b)
	c.connect("1.2")
	c.sendSync("SUBSCRIBE", "id:s", "destination:/queue/a")
	c.sendSync("SEND", "destination:/queue/a")
	c.expect("MESSAGE")

	// Nth counts from the Inject: the second MESSAGE after it.
	require.NoError(t, b.Inject(Fault{Name: "err", Kind: SendError, Conn: 1,
		OnCommand: frames.CmdMessage, Nth: 2, Message: "boom"}))
	p := pipeClient(t, b)
	p.connect("1.2")
	for i := 0; i < 3; i++ {
		p.sendSync("SEND", "destination:/queue/a")
	}
	c.expect("MESSAGE")
	assert.Equal(t, "boom", c.expect("ERROR").get("message"))
	c.expect("MESSAGE")
	c.expect("MESSAGE")

	events := b.FaultEvents()
	require.Len(t, events, 1)
	assert.Equal(t, "err", events[0].Fault)
	assert.Equal(t, frames.CmdMessage, events[0].Command)
	assert.Equal(t, events, h.got())
	// It fired once (Times 0): clearing it now is allowed and changes nothing.
	require.NoError(t, b.Clear("err"))
	p.sendSync("SEND", "destination:/queue/a")
	c.expect("MESSAGE")
}

func TestInjectStopHeartbeatsThenClear(t *testing.T) {
	b := newBroker(t, WithHeartbeat(10*time.Millisecond, 0))
	c := pipeClient(t, b)
	c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,10\n\n\x00")
	c.expect("CONNECTED")
	require.NoError(t, b.Inject(Fault{Name: "hb", Kind: StopHeartbeats, Conn: 1}))
	waitFor(t, "heart-beats to stop", func() bool { return len(b.FaultEvents()) == 1 })
	// Drain a heart-beat that may have been written before the fault.
	_ = c.conn.SetReadDeadline(time.Now().Add(quiet))
	_, _ = c.r.ReadString('\n')
	c.expectNothing()
	require.NoError(t, b.Clear("hb"))
	require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(wait)))
	line, err := c.r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "\n", line, "heart-beats resumed")
}

// A fault injected with Conn 0 applies to connections accepted later, with
// triggers counted from their accept.
func TestInjectAppliesToLaterConnections(t *testing.T) {
	b := newBroker(t)
	c1 := pipeClient(t, b)
	c1.connect("1.2")
	require.NoError(t, b.Inject(Fault{Name: "refuse", Kind: RefuseAccept, Conn: 2}))
	require.NoError(t, b.Inject(Fault{Name: "cut", Kind: DropConn, Conn: 3, OnCommand: frames.CmdConnected}))
	c2 := pipeClient(t, b)
	c2.expectClosed()
	c3 := pipeClient(t, b)
	c3.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	c3.expectClosed()
	c1.sendSync("SEND", "destination:/queue/a")

	assert.Equal(t, []string{
		"conn 2: refuse (RefuseAccept) on accept",
		"conn 3: cut (DropConn) at frame 0 (CONNECTED)",
	}, eventStrings(b.FaultEvents()))
}

func eventStrings(evs []FaultEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.String()
	}
	return out
}

// Clearing a StallAccept serves the connection it holds.
func TestClearEndsAStallAccept(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "hold", Kind: StallAccept}}))
	c := tcpClient(t, b.Addr())
	waitFor(t, "the stall", func() bool { return len(b.FaultEvents()) == 1 })
	c.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	c.expectNothing()
	require.NoError(t, b.Clear("hold"))
	c.expect("CONNECTED")
	c2 := tcpClient(t, b.Addr())
	c2.connect("1.2")
	assert.Len(t, b.FaultEvents(), 1, "the cleared fault holds no later connection")
}

func TestInjectAndClearRefuse(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "planned", Kind: SplitWrites, Conn: 9}}))
	c := pipeClient(t, b)
	c.connect("1.2")
	c2 := pipeClient(t, b)
	c2.connect("1.2")
	c2.send("DISCONNECT\nreceipt:bye\n\n\x00")
	c2.expect("RECEIPT")
	require.NoError(t, c2.conn.Close())
	waitFor(t, "connection 2 to close", func() bool { _, conns := internals(b); return conns == 1 })

	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{Kind: DropConn}, "no name"},
		{Fault{Name: "planned", Kind: DropConn}, `"planned" already used`},
		{Fault{Name: "x", Kind: DropConn, AfterBytes: -1}, "negative count"},
		{Fault{Name: "x", Kind: RefuseAccept, Conn: 1}, "already accepted"},
		{Fault{Name: "x", Kind: StallAccept, Conn: 2}, "already accepted"},
		{Fault{Name: "x", Kind: StopReading, Conn: 2}, "connection 2 has closed"},
	} {
		err := b.Inject(tc.f)
		if assert.Error(t, err, "%+v", tc.f) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
	require.NoError(t, b.Inject(Fault{Name: "later", Kind: RefuseAccept, Conn: 5}))
	require.NoError(t, b.Clear("later"))
	assert.ErrorContains(t, b.Clear("later"), "cleared already")
	assert.ErrorContains(t, b.Clear("nothing"), `no fault named "nothing"`)
	assert.ErrorContains(t, b.Inject(Fault{Name: "later", Kind: DropConn}), "already used")
	require.NoError(t, b.Clear("planned"))

	require.NoError(t, b.Close())
	assert.ErrorIs(t, b.Inject(Fault{Name: "y", Kind: DropConn}), ErrClosed)
	assert.ErrorIs(t, b.Clear("y"), ErrClosed)
}

// Faults come and go while connections open and traffic flows: run with
// the race detector. Nothing is lost: the faults injected only delay,
// split and stall.
func TestInjectAndClearWhileTrafficFlows(t *testing.T) {
	b := newBroker(t)
	cons := pipeClient(t, b)
	cons.connect("1.2")
	cons.sendSync("SUBSCRIBE", "id:s", "destination:/queue/a")
	done := make(chan error, 1)
	const n = 200
	go func() {
		nc, err := b.ServePipe()
		if err != nil {
			done <- err
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(wait))
		if _, err := nc.Write([]byte("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")); err != nil {
			done <- err
			return
		}
		go func() { _, _ = drainConn(nc) }()
		for i := 0; i < n; i++ {
			if _, err := nc.Write([]byte("SEND\ndestination:/queue/a\n\n" + strconv.Itoa(i) + "\x00")); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	kinds := []Fault{
		{Kind: SplitWrites, Chunk: 7},
		{Kind: RandomChunks, Dir: ToServer},
		{Kind: DelayWrites, Delay: time.Millisecond},
		{Kind: StopReading, Delay: time.Millisecond},
		{Kind: StallWrites, Delay: time.Millisecond},
		{Kind: StopHeartbeats},
	}
	for i := 0; i < 30; i++ {
		f := kinds[i%len(kinds)]
		f.Name = "f" + strconv.Itoa(i)
		require.NoError(t, b.Inject(f))
		if i%2 == 1 {
			require.NoError(t, b.Clear("f"+strconv.Itoa(i-1)))
		}
	}
	for i := 0; i < n; i++ {
		m := cons.expect("MESSAGE")
		require.Equal(t, strconv.Itoa(i), m.body)
	}
	require.NoError(t, <-done)
}

// drainConn reads nc until it fails.
func drainConn(nc net.Conn) (int64, error) {
	buf := make([]byte, 4096)
	var n int64
	for {
		m, err := nc.Read(buf)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
}
