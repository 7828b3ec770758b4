package actors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// A COMMIT, ABORT or BEGIN the writer refuses before writing it (here
// ErrTooManyReceipts: the only receipt slot is taken) changes nothing on
// either side: the transactions a COMMIT or ABORT would have ended stay
// open, to be joined, committed or aborted again, and the id a BEGIN
// would have opened stays unknown, free to be begun. The broker sees
// only the frames written.
func TestATransactionFrameTheWriterRefusedChangesNothing(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingReceipts: 1})
	expectFrame(t, got, frames.CmdConnect)
	ctx := testCtx(t)
	require.NoError(t, c.Begin(ctx, "t1", 0))
	require.NoError(t, c.Begin(ctx, "t2", 0))
	expectFrame(t, got, frames.CmdBegin)
	expectFrame(t, got, frames.CmdBegin)

	held := make(chan error, 1)
	go func() {
		held <- c.Send(ctx, frames.New(frames.CmdSend, "destination", "/held"), 5*time.Second, true)
	}()
	id := recv(t, asked, "the held send's receipt request")
	expectFrame(t, got, frames.CmdSend)

	require.ErrorIs(t, c.Commit(ctx, "t1", 5*time.Second), ErrTooManyReceipts)
	require.ErrorIs(t, c.Abort(ctx, "t2", 5*time.Second), ErrTooManyReceipts)
	require.ErrorIs(t, c.Begin(ctx, "t3", 5*time.Second), ErrTooManyReceipts)
	require.Equal(t, []string{"t1", "t2"}, c.OpenTransactions(ctx), "neither was ended, and t3 was never begun")
	require.NoError(t, c.Send(ctx, frames.New(frames.CmdSend, "destination", "/q", "transaction", "t1"), 0, true))
	require.ErrorIs(t, c.Send(ctx, frames.New(frames.CmdSend, "destination", "/q", "transaction", "t3"), 0, true), ErrUnknownTransaction)
	require.Equal(t, "t1", expectFrame(t, got, frames.CmdSend).Header("transaction"), "the refused frames were not written")

	answer <- id
	require.NoError(t, recv(t, held, "the held send"))
	require.NoError(t, c.Commit(ctx, "t1", 0))
	require.NoError(t, c.Abort(ctx, "t2", 0))
	require.NoError(t, c.Begin(ctx, "t3", 0))
	require.Equal(t, "t1", expectFrame(t, got, frames.CmdCommit).Header("transaction"))
	require.Equal(t, "t2", expectFrame(t, got, frames.CmdAbort).Header("transaction"))
	require.Equal(t, "t3", expectFrame(t, got, frames.CmdBegin).Header("transaction"))
	require.Equal(t, []string{"t3"}, c.OpenTransactions(ctx))
}
