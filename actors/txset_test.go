package actors

import (
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
	}, frameTransactions([]byte(raw)))
}
