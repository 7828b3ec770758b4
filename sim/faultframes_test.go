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

// The pipelined conversation answers with these frames when nothing fails.
var cleanCommands = []string{"CONNECTED", "RECEIPT", "MESSAGE", "RECEIPT", "MESSAGE", "RECEIPT", "MESSAGE", "RECEIPT", "RECEIPT"}

func receiptIDs(frames []string) []string {
	var out []string
	for _, f := range frames {
		if strings.HasPrefix(f, "RECEIPT\n") {
			out = append(out, strings.TrimSuffix(strings.SplitN(f, "\n", 3)[1], ""))
		}
	}
	return out
}

func bodies(frames []string) []string {
	var out []string
	for _, f := range frames {
		if strings.HasPrefix(f, "MESSAGE\n") {
			i := strings.Index(f, "\n\n")
			out = append(out, strings.TrimSuffix(f[i+2:], "\x00"))
		}
	}
	return out
}

func TestFaultPipelinedClean(t *testing.T) {
	tr := twice(t, runPipelined, nil)
	assert.Equal(t, cleanCommands, commands(tr.frames))
	assert.Equal(t, "eof", tr.end)
}

func TestFaultDuplicateMessage(t *testing.T) {
	tr := twice(t, runPipelined, Plan{{Name: "dup", Kind: DuplicateMessage, Nth: 2}})
	assert.Equal(t, []string{"one", "two", "two", "three"}, bodies(tr.frames))
	var twos []string
	for _, f := range tr.frames {
		if strings.HasSuffix(f, "two\x00") {
			twos = append(twos, f)
		}
	}
	require.Len(t, twos, 2)
	// The copy is the same frame but for its ack id, which is its own, as
	// a real broker's second delivery's is (see TestDuplicateMessage*).
	assert.Contains(t, twos[0], "\nack:2\n")
	assert.Equal(t, twos[0], strings.Replace(twos[1], "\nack:2-copy1\n", "\nack:2\n", 1))
	assert.Equal(t, []FaultEvent{{Fault: "dup", Kind: DuplicateMessage, Conn: 1, Offset: 4, Command: frames.CmdMessage}}, tr.events)
}

func TestFaultRedeliverMessage(t *testing.T) {
	tr := twice(t, runPipelined, Plan{{Name: "again", Kind: RedeliverMessage, Times: 2}})
	assert.Equal(t, []string{"one", "one", "two", "two", "three"}, bodies(tr.frames))
	var flagged []string
	for _, f := range tr.frames {
		if strings.Contains(f, "\nredelivered:true\n") {
			flagged = append(flagged, strings.TrimSuffix(f[strings.Index(f, "\n\n")+2:], "\x00"))
		}
	}
	assert.Equal(t, []string{"one", "two"}, flagged)
	assert.Len(t, tr.events, 2)
}

func TestFaultWithholdReceipt(t *testing.T) {
	tr := twice(t, runPipelined, Plan{{Name: "lost", Kind: WithholdReceipt, Nth: 2}})
	assert.Equal(t, []string{"receipt-id:s", "receipt-id:p2", "receipt-id:p3", "receipt-id:bye"}, receiptIDs(tr.frames))
	assert.Equal(t, "eof", tr.end)
}

func TestFaultNoDisconnectReceipt(t *testing.T) {
	tr := twice(t, runPipelined, Plan{{Name: "rude", Kind: NoDisconnectReceipt}})
	assert.Equal(t, []string{"receipt-id:s", "receipt-id:p1", "receipt-id:p2", "receipt-id:p3"}, receiptIDs(tr.frames))
	assert.Equal(t, "eof", tr.end)
	assert.Equal(t, []FaultEvent{{Fault: "rude", Kind: NoDisconnectReceipt, Conn: 1, Offset: 8, Command: frames.CmdReceipt}}, tr.events)
}

func TestFaultSendErrorNonFatal(t *testing.T) {
	tr := twice(t, runPipelined, Plan{{Name: "oops", Kind: SendError, OnCommand: frames.CmdReceipt, Nth: 1, Message: "resource alarm"}})
	want := append([]string{"CONNECTED", "ERROR"}, cleanCommands[1:]...)
	assert.Equal(t, want, commands(tr.frames), "the connection carries on after the ERROR")
	assert.Contains(t, tr.frames[1], "message:resource alarm\n")
}

func TestFaultSendErrorFatal(t *testing.T) {
	tr := twice(t, runPipelined, Plan{{Name: "fatal", Kind: SendError, AfterFrames: 3, Fatal: true}})
	assert.Equal(t, []string{"CONNECTED", "RECEIPT", "MESSAGE", "ERROR"}, commands(tr.frames))
	assert.Contains(t, tr.frames[3], "message:injected fault fatal\n")
	assert.Equal(t, "eof", tr.end)
}

func TestFaultSendErrorAfterTime(t *testing.T) {
	for range 2 { // the same on every run
		b := newBroker(t, WithPlan(Plan{{Name: "timer", Kind: SendError, After: 20 * time.Millisecond, Message: "late"}}))
		start := time.Now()
		c := pipeClient(t, b)
		c.send("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
		// The timer runs from the accept, so on a slow machine the ERROR
		// may overtake the CONNECTED: take both in either order.
		got := map[string]rawFrame{}
		for len(got) < 2 {
			f := c.read()
			got[f.cmd] = f
		}
		require.Contains(t, got, "CONNECTED")
		require.Contains(t, got, "ERROR")
		assert.Equal(t, "late", got["ERROR"].get("message"))
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
		c.sendSync("SEND", "destination:/queue/a") // still open
		events := b.FaultEvents()
		require.Len(t, events, 1)
		events[0].Offset = 0 // 0 or 1 frame went before, as the race went
		assert.Equal(t, FaultEvent{Fault: "timer", Kind: SendError, Conn: 1, Command: frames.CmdError}, events[0])
	}
}

func TestFaultDropOnFrames(t *testing.T) {
	t.Run("after frames to the client", func(t *testing.T) {
		tr := twice(t, runPipelined, Plan{{Name: "cut", Kind: DropConn, AfterFrames: 2}})
		assert.Equal(t, []string{"CONNECTED", "RECEIPT"}, commands(tr.frames))
		assert.Equal(t, []FaultEvent{{Fault: "cut", Kind: DropConn, Conn: 1, Offset: 2, Command: frames.CmdMessage}}, tr.events)
	})
	t.Run("on a command to the client", func(t *testing.T) {
		tr := twice(t, runPipelined, Plan{{Name: "cut", Kind: DropConn, OnCommand: frames.CmdMessage, Nth: 3}})
		assert.Equal(t, []string{"one", "two"}, bodies(tr.frames))
		assert.Equal(t, cleanCommands[:6], commands(tr.frames))
	})
	t.Run("after frames from the client", func(t *testing.T) {
		for range 2 { // the same on every run
			b := newBroker(t, WithPlan(Plan{{Name: "cut", Kind: DropConn, Dir: ToServer, AfterFrames: 2}}))
			c := pipeClient(t, b)
			werr := make(chan error, 1)
			go func() {
				_, err := io.WriteString(c.conn, pipelined)
				werr <- err
			}()
			// The connection drops as the SEND arrives: whether the answers
			// to CONNECT and SUBSCRIBE got out first is a race, so only the
			// broker's side is checked.
			c.readToEnd(&transcript{})
			require.NoError(t, c.conn.Close())
			<-werr
			assert.Equal(t, []FaultEvent{{Fault: "cut", Kind: DropConn, Conn: 1, Dir: ToServer, Offset: 2, Command: frames.CmdSend}}, b.FaultEvents())
			d, ok := b.Destination("/queue/f")
			require.True(t, ok, "the SUBSCRIBE was processed")
			assert.Zero(t, d.Enqueued, "the SEND was not")
		}
	})
}

func TestFaultStopHeartbeats(t *testing.T) {
	run := func(plan Plan) (*Broker, *client) {
		b := newBroker(t, WithHeartbeat(5*time.Millisecond, 0), WithPlan(plan))
		c := pipeClient(t, b)
		c.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,5\n\n\x00")
		c.expect("CONNECTED")
		return b, c
	}
	// Without the fault heart-beats flow.
	_, c := run(nil)
	for c.heartbeats < 2 {
		require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(wait)))
		_, err := c.r.ReadString('\n')
		require.NoError(t, err)
		c.heartbeats++
	}
	for range 2 { // twice, same outcome
		b, c := run(Plan{{Name: "mute", Kind: StopHeartbeats, AfterFrames: 1}})
		require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err := c.r.ReadByte()
		assert.True(t, isTimeout(err), "no heart-beat may come: %v", err)
		c.sendSync("SEND", "destination:/queue/a") // frames still flow
		assert.Zero(t, c.heartbeats)
		assert.Equal(t, []FaultEvent{{Fault: "mute", Kind: StopHeartbeats, Conn: 1, Offset: 1, Command: frames.Heartbeat}}, b.FaultEvents())
	}
}

func TestPlanValidate(t *testing.T) {
	bad := []Fault{
		{Kind: DropConn},
		{Name: "k", Kind: 0},
		{Name: "k", Kind: numFaultKinds},
		{Name: "neg", Kind: DelayWrites, Delay: -1},
		{Name: "accept", Kind: RefuseAccept, AfterBytes: 3},
		{Name: "frame", Kind: DuplicateMessage, AfterBytes: 3},
		{Name: "frame cmd", Kind: WithholdReceipt, OnCommand: frames.CmdMessage},
		{Name: "bytes", Kind: SplitWrites, AfterFrames: 1},
		{Name: "dir", Kind: SendError, Dir: ToServer},
		{Name: "cmd", Kind: SendError, OnCommand: frames.Heartbeat},
	}
	for _, f := range bad {
		assert.Error(t, Plan{f}.Validate(), "%+v", f)
	}
	assert.Error(t, Plan{{Name: "a", Kind: DropConn}, {Name: "a", Kind: DropConn}}.Validate())
	assert.NoError(t, Plan{{Name: "a", Kind: DropConn, AfterFrames: 3, Dir: ToServer}, {Name: "b", Kind: SendError, OnCommand: frames.CmdMessage}}.Validate())
	assert.Equal(t, "NoDisconnectReceipt", NoDisconnectReceipt.String())
	assert.Equal(t, "to-server", ToServer.String())
}
