package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clean is the lockstep conversation without faults.
func clean(t *testing.T) transcript {
	t.Helper()
	tr := runLockstep(t, nil)
	require.Equal(t, "eof", tr.end)
	require.Equal(t, []string{"CONNECTED", "RECEIPT", "MESSAGE", "RECEIPT", "MESSAGE", "RECEIPT", "MESSAGE", "RECEIPT", "RECEIPT"}, commands(tr.frames))
	return tr
}

func TestFaultSplitWritesSingleBytes(t *testing.T) {
	want := clean(t)
	tr := twice(t, runLockstep, Plan{{Name: "bytes", Kind: SplitWrites}})
	assert.Equal(t, want.frames, tr.frames, "splitting changes no frame")
	assert.Equal(t, len(want.bytes), len(tr.reads))
	for _, n := range tr.reads {
		require.Equal(t, 1, n)
	}
	require.NotEmpty(t, tr.events)
	assert.Equal(t, FaultEvent{Fault: "bytes", Kind: SplitWrites, Conn: 1, Size: 1}, tr.events[0])
}

func TestFaultSplitWritesToServer(t *testing.T) {
	want := clean(t)
	tr := twice(t, runLockstep, Plan{{Name: "in3", Kind: SplitWrites, Chunk: 3, Dir: ToServer}})
	assert.Equal(t, want.frames, tr.frames, "the broker reassembles frames read in pieces")
	total := 0
	for _, e := range tr.events {
		assert.Equal(t, ToServer, e.Dir)
		assert.Equal(t, 3, e.Size)
		total += e.Size
	}
	assert.GreaterOrEqual(t, total, len(strings.Join(stepFrames(), "")))
}

func stepFrames() []string {
	var out []string
	for _, s := range lockstep {
		out = append(out, s.frame)
	}
	return out
}

func TestFaultRandomChunks(t *testing.T) {
	want := clean(t)
	plan := Plan{{Name: "chunks", Kind: RandomChunks, Chunk: 16, Seed: 7}}
	tr := twice(t, runLockstep, plan)
	assert.Equal(t, want.frames, tr.frames)
	assert.Greater(t, len(tr.reads), len(want.reads))
	sizes := map[int]bool{}
	for _, n := range tr.reads {
		require.LessOrEqual(t, n, 16)
		sizes[n] = true
	}
	assert.Greater(t, len(sizes), 4, "sizes vary: %v", tr.reads)

	other := runLockstep(t, Plan{{Name: "chunks", Kind: RandomChunks, Chunk: 16, Seed: 8}})
	assert.NotEqual(t, tr.reads, other.reads, "another seed cuts elsewhere")
	assert.Equal(t, want.frames, other.frames)
}

func TestFaultDelayWrites(t *testing.T) {
	want := clean(t)
	for _, dir := range []Direction{ToClient, ToServer} {
		t.Run(dir.String(), func(t *testing.T) {
			plan := Plan{{Name: "slow", Kind: DelayWrites, Dir: dir, Delay: 2 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 42}}
			start := time.Now()
			tr := twice(t, runLockstep, plan)
			elapsed := time.Since(start)
			assert.Equal(t, want.frames, tr.frames)
			require.NotEmpty(t, tr.events)
			var sum time.Duration
			distinct := map[time.Duration]bool{}
			for _, e := range tr.events {
				assert.Equal(t, dir, e.Dir)
				assert.GreaterOrEqual(t, e.Delay, 2*time.Millisecond)
				assert.Less(t, e.Delay, 7*time.Millisecond)
				sum += e.Delay
				distinct[e.Delay] = true
			}
			assert.Greater(t, len(distinct), 1, "jitter varies the delays")
			assert.GreaterOrEqual(t, elapsed, 2*sum, "both runs waited their delays")
		})
	}
}

func TestFaultCorruptByte(t *testing.T) {
	want := clean(t)
	tr := twice(t, runLockstep, Plan{{Name: "flip", Kind: CorruptByte, AfterBytes: 3, Mask: 0x20}})
	require.Equal(t, len(want.bytes), len(tr.bytes))
	for i := range want.bytes {
		if i == 3 {
			assert.Equal(t, want.bytes[i]^0x20, tr.bytes[i])
		} else {
			require.Equal(t, want.bytes[i], tr.bytes[i], "byte %d", i)
		}
	}
	assert.True(t, strings.HasPrefix(tr.frames[0], "CONnECTED\n"))
	assert.Equal(t, []FaultEvent{{Fault: "flip", Kind: CorruptByte, Conn: 1, Offset: 3}}, tr.events)
}

func TestFaultCorruptByteToServer(t *testing.T) {
	tr := twice(t, runLockstep, Plan{{Name: "flip", Kind: CorruptByte, Dir: ToServer}}) // 'C' ^ 0xFF
	require.Len(t, tr.frames, 1)
	assert.Contains(t, tr.frames[0], "ERROR\nmessage:stomp: malformed frame: unknown command")
	assert.Equal(t, "eof", tr.end)
}

func TestFaultDropAfterBytes(t *testing.T) {
	want := clean(t)
	tr := twice(t, runLockstep, Plan{{Name: "cut", Kind: DropConn, AfterBytes: 20}})
	assert.Equal(t, want.bytes[:20], tr.bytes, "exactly the first 20 bytes get through")
	assert.Equal(t, "eof", tr.end)
	assert.Equal(t, []FaultEvent{{Fault: "cut", Kind: DropConn, Conn: 1, Offset: 20}}, tr.events)
}

func TestFaultDropAfterBytesToServer(t *testing.T) {
	n := int64(len(lockstep[0].frame) + len(lockstep[1].frame))
	tr := twice(t, runLockstep, Plan{{Name: "cut", Kind: DropConn, Dir: ToServer, AfterBytes: n}})
	// The connection drops as soon as the SUBSCRIBE is read: its RECEIPT
	// never makes it and nothing after it is read.
	assert.Equal(t, []string{"CONNECTED"}, commands(tr.frames))
	assert.Equal(t, "eof", tr.end)
	assert.Equal(t, []FaultEvent{{Fault: "cut", Kind: DropConn, Conn: 1, Dir: ToServer, Offset: n}}, tr.events)
}

func TestFaultDropAfterTime(t *testing.T) {
	var connected int64
	run := func() []FaultEvent {
		b := newBroker(t, WithPlan(Plan{{Name: "later", Kind: DropConn, After: 30 * time.Millisecond}}))
		start := time.Now()
		c := pipeClient(t, b)
		connected = int64(len(c.connect("1.2").raw))
		c.expectClosed()
		assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
		return b.FaultEvents()
	}
	first := run()
	// The cut comes after CONNECTED, the only bytes written.
	assert.Equal(t, []FaultEvent{{Fault: "later", Kind: DropConn, Conn: 1, Offset: connected}}, first)
	assert.Equal(t, first, run())
}

func TestFaultOnNthConnectionOnly(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "second", Kind: DropConn, Conn: 2}}))
	c1 := pipeClient(t, b)
	c1.connect("1.2")
	c2 := pipeClient(t, b)
	c2.expectClosed()
	c3 := pipeClient(t, b)
	c3.connect("1.2")
	c1.sendSync("BEGIN", "transaction:x")
	assert.Equal(t, []FaultEvent{{Fault: "second", Kind: DropConn, Conn: 2}}, b.FaultEvents())
	waitFor(t, "the dropped connection to be forgotten", func() bool {
		s, n := internals(b)
		return s == 2 && n == 2
	})
}

func TestFaultRefuseAccept(t *testing.T) {
	for _, transport := range []string{"pipe", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			for range 2 { // the same on every run
				b := newBroker(t, WithPlan(Plan{{Name: "no", Kind: RefuseAccept, Conn: 1}}))
				c := dial(t, b, transport)
				c.expectClosed()
				c2 := dial(t, b, transport)
				c2.connect("1.2")
				assert.Equal(t, []FaultEvent{{Fault: "no", Kind: RefuseAccept, Conn: 1}}, b.FaultEvents())
				assert.Equal(t, 1, b.Stats().Accepted, "the refused connection was never served")
			}
		})
	}
}

func TestFaultStallAccept(t *testing.T) {
	for range 2 { // the same on every run
		b := newBroker(t, WithPlan(Plan{
			{Name: "hold", Kind: StallAccept, Conn: 1, Delay: 50 * time.Millisecond},
			{Name: "forever", Kind: StallAccept, Conn: 2},
		}))
		start := time.Now()
		c := tcpClient(t, b.Addr())
		c.connect("1.2")
		assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

		c2 := tcpClient(t, b.Addr())
		c2.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
		require.NoError(t, c2.conn.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err := c2.r.ReadByte()
		assert.True(t, isTimeout(err), "a stalled connection gets no answer: %v", err)
		assert.Equal(t, []FaultEvent{
			{Fault: "hold", Kind: StallAccept, Conn: 1, Delay: 50 * time.Millisecond},
			{Fault: "forever", Kind: StallAccept, Conn: 2},
		}, b.FaultEvents())
		assert.Equal(t, 1, b.Stats().Accepted)
		require.NoError(t, b.Close())
		c2.expectClosed()
	}
}

func TestFaultStopReading(t *testing.T) {
	n := int64(len(lockstep[0].frame))
	for range 2 { // the same on every run
		b := newBroker(t, WithPlan(Plan{{Name: "alarm", Kind: StopReading, AfterBytes: n}}))
		c := pipeClient(t, b)
		c.connect("1.2")
		// The broker reads nothing more: the client's writes block.
		require.NoError(t, c.conn.SetWriteDeadline(time.Now().Add(100*time.Millisecond)))
		_, err := c.conn.Write([]byte("SEND\ndestination:/queue/a\n\nx\x00"))
		assert.True(t, isTimeout(err), "write: %v", err)
		ci, _ := b.Connection(1)
		assert.Equal(t, uint64(1), ci.Frames)
		assert.Equal(t, []FaultEvent{{Fault: "alarm", Kind: StopReading, Conn: 1, Dir: ToServer, Offset: n}}, b.FaultEvents())
	}
}

func TestFaultStopReadingOverTCP(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "alarm", Kind: StopReading}}))
	c := tcpClient(t, b.Addr())
	// Nothing is read at all: once the socket buffers fill, writes block.
	chunk := []byte(strings.Repeat("SEND\ndestination:/queue/a\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x00", 1<<14))
	require.NoError(t, c.conn.SetWriteDeadline(time.Now().Add(wait)))
	var err error
	for total := 0; err == nil && total < 1<<30; total += len(chunk) {
		require.NoError(t, c.conn.SetWriteDeadline(time.Now().Add(200*time.Millisecond)))
		_, err = c.conn.Write(chunk)
	}
	assert.True(t, isTimeout(err), "write: %v", err)
	assert.Empty(t, b.Connections()[0].Received)
}

func TestFaultStopReadingResumes(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "pause", Kind: StopReading, AfterBytes: 1, Delay: 30 * time.Millisecond}}))
	c := pipeClient(t, b)
	start := time.Now()
	c.connect("1.2")
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
	c.sendSync("SEND", "destination:/queue/a")
}

func TestFaultStallWrites(t *testing.T) {
	want := clean(t)
	n := int64(len(want.frames[0]))
	for range 2 { // the same on every run
		b := newBroker(t, WithPlan(Plan{{Name: "frozen", Kind: StallWrites, AfterBytes: n}}))
		c := pipeClient(t, b)
		assert.Equal(t, want.frames[0], c.connect("1.2").raw)
		c.send("SUBSCRIBE\nid:0\ndestination:/queue/a\nreceipt:s\n\n\x00")
		waitFor(t, "the broker to take the SUBSCRIBE", func() bool {
			ci, _ := b.Connection(1)
			return len(ci.Subscriptions) == 1
		})
		require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err := c.r.ReadByte()
		assert.True(t, isTimeout(err), "nothing is written after the offset: %v", err)
		assert.Equal(t, []FaultEvent{{Fault: "frozen", Kind: StallWrites, Conn: 1, Offset: n}}, b.FaultEvents())
	}
}

func TestFaultStallWritesResumes(t *testing.T) {
	want := clean(t)
	tr := twice(t, runLockstep, Plan{{Name: "pause", Kind: StallWrites, AfterBytes: 100, Delay: 20 * time.Millisecond}})
	assert.Equal(t, want.frames, tr.frames)
	assert.Equal(t, []FaultEvent{{Fault: "pause", Kind: StallWrites, Conn: 1, Offset: 100, Delay: 20 * time.Millisecond}}, tr.events)
}
