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
