package actors

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

func TestFrameTransactionsReadsFramesNotLines(t *testing.T) {
	raw := "\nBEGIN\ntransaction:a\n\n\x00" +
		"SEND\ndestination:/q\ntransaction:a\ntransaction:b\ncontent-length:22\n\nCOMMIT\ntransaction:a\n\n\x00\x00" +
		"\r\nSEND\r\ndestination:/q\r\n\r\nx\ntransaction:c\n\x00" +
		"ABORT\ntransaction:d\n\n\x00" +
		"COMMIT\ntransaction:e" // headers that never end: not a frame
	require.Equal(t, []customReceipt{
		{id: "a", cmd: frames.CmdBegin},
		{id: "a", cmd: frames.CmdSend},
		{id: "d", cmd: frames.CmdAbort},
	}, frameTransactions([]byte(raw), frames.V12))
}

// A transaction header written by hand is read as the broker reads it:
// unescaped on STOMP 1.1 and later, as it came on 1.0.
func TestFrameTransactionsUnescapesAsTheVersionSays(t *testing.T) {
	raw := []byte("BEGIN\ntransaction:a\\cb\\\\c\n\n\x00")
	require.Equal(t, []customReceipt{{id: "a:b\\c", cmd: frames.CmdBegin}}, frameTransactions(raw, frames.V12))
	require.Equal(t, []customReceipt{{id: "a\\cb\\\\c", cmd: frames.CmdBegin}}, frameTransactions(raw, frames.V10))
}

// A BEGIN written by hand counts once written, also when its caller left
// while the rest of the bytes were going out (ErrOutcomeUnknown): the
// broker has the transaction open, and a send may join it.
func TestARawBeginWrittenAsItsCallerLeftCounts(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdBegin {
			cancel() // the writer is still writing the big SEND after it
		}
		return true
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	body := strings.Repeat("x", 8<<20)
	raw := "BEGIN\ntransaction:t\n\n\x00SEND\ndestination:/q\ntransaction:t\n\n" + body + "\x00"
	err := c.SendRaw(ctx, []byte(raw))
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	expectFrame(t, got, frames.CmdBegin)
	require.Equal(t, []string{"t"}, c.OpenTransactions(testCtx(t)), "the broker has t open")
}

// An id's BEGIN, COMMIT or ABORT counts from when it is queued, and the
// frame's state settles what it did: a BEGIN not written leaves the id
// unknown, a COMMIT or ABORT not written (withdrawn by its caller, or
// refused by the writer) leaves the transaction open, one written ends
// it.
func TestTxSetIsSettledByWhatBecameOfTheFrames(t *testing.T) {
	var s txSet
	begin := linkedMustGo()
	require.NoError(t, s.begin("t", begin))
	require.True(t, s.has("t"), "a BEGIN on its way: frames may join it behind it")
	require.ErrorIs(t, s.begin("t", linkedMustGo()), ErrTransactionExists)
	begin.state.Store(frameRefused)
	require.False(t, s.has("t"), "its BEGIN was refused: never begun")
	require.Empty(t, s.ids())
	require.ErrorIs(t, s.end("t", linked(), false), ErrUnknownTransaction)

	begin = linkedMustGo()
	require.NoError(t, s.begin("t", begin), "an id whose BEGIN was not written may be begun again")
	begin.state.Store(frameWritten)
	commit := linked()
	require.NoError(t, s.end("t", commit, false))
	require.False(t, s.has("t"), "a COMMIT on its way: nothing may join it")
	require.Empty(t, s.ids())
	require.ErrorIs(t, s.end("t", linked(), false), ErrUnknownTransaction, "already being committed")
	require.ErrorIs(t, s.begin("t", linkedMustGo()), ErrTransactionExists, "not ended yet")
	require.True(t, commit.abandon())
	require.True(t, s.has("t"), "its COMMIT was withdrawn before the writer took it: still open")
	require.Equal(t, []string{"t"}, s.ids())

	abort := linkedMustGo()
	require.NoError(t, s.end("t", abort, true))
	require.True(t, abort.take())
	abort.state.Store(frameRefused)
	require.True(t, s.has("t"), "its ABORT was refused by the writer: still open")

	commit = linked()
	require.NoError(t, s.end("t", commit, false))
	require.True(t, commit.take())
	require.False(t, commit.abandon(), "taken by the writer: its caller cannot withdraw it")
	require.False(t, s.has("t"))
	commit.state.Store(frameWritten)
	require.False(t, s.has("t"))
	require.ErrorIs(t, s.end("t", linked(), false), ErrUnknownTransaction, "committed")
	require.NoError(t, s.begin("t", linkedMustGo()), "an ended id may be begun again")
}

// A transaction settled is forgotten at the next look at the set, so a
// program that gives every transaction an id of its own leaves nothing
// behind.
func TestTxSetKeepsNothingOfEndedTransactions(t *testing.T) {
	var s txSet
	for i := range 100 {
		id := "t" + itoa(i)
		begin, commit := linkedMustGo(), linked()
		require.NoError(t, s.begin(id, begin))
		begin.state.Store(frameWritten)
		require.NoError(t, s.end(id, commit, false))
		commit.state.Store(frameWritten)
		s.mu.Lock()
		n := len(s.open)
		s.mu.Unlock()
		require.LessOrEqual(t, n, 1, "only the last one, not looked at since")
	}
	require.Empty(t, s.ids())
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Empty(t, s.open)
}
