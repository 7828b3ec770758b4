package actors

import (
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

func TestTransactions(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		return f.Command != frames.CmdSend || f.Header("destination") != "/bye"
	})
	c, rec := newTestClient(t, ConnOptions{})
	ctx := testCtx(t)
	require.ErrorIs(t, c.Begin(ctx, "early", 0), ErrNotConnected)
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)

	require.NoError(t, c.Begin(ctx, "t1", 0))
	require.Equal(t, "t1", expectFrame(t, got, frames.CmdBegin).Header("transaction"))
	require.Equal(t, []string{"t1"}, c.OpenTransactions(ctx))
	require.ErrorIs(t, c.Begin(ctx, "t1", 0), ErrTransactionExists)
	require.Error(t, c.Begin(ctx, "", 0), "an empty id is refused")

	require.NoError(t, c.Send(ctx, frames.New(frames.CmdSend, "destination", "/q", "transaction", "t1"), 0, true))
	require.Equal(t, "t1", expectFrame(t, got, frames.CmdSend).Header("transaction"))
	require.NoError(t, c.Commit(ctx, "t1", 5*time.Second))
	f := expectFrame(t, got, frames.CmdCommit)
	require.Equal(t, "t1", f.Header("transaction"))
	require.NotEmpty(t, f.Header("receipt"))
	require.Empty(t, c.OpenTransactions(ctx))

	require.NoError(t, c.Begin(ctx, "t2", 0))
	expectFrame(t, got, frames.CmdBegin)
	require.NoError(t, c.Begin(ctx, "t3", 0))
	expectFrame(t, got, frames.CmdBegin)
	require.Equal(t, []string{"t2", "t3"}, c.OpenTransactions(ctx))
	require.NoError(t, c.Abort(ctx, "t2", 0))
	require.Equal(t, "t2", expectFrame(t, got, frames.CmdAbort).Header("transaction"))
	require.Equal(t, []string{"t3"}, c.OpenTransactions(ctx))

	// Unknown ids fail before anything is sent: the next frame the server
	// sees is the marker.
	require.ErrorIs(t, c.Commit(ctx, "nope", 0), ErrUnknownTransaction)
	require.ErrorIs(t, c.Abort(ctx, "t2", 0), ErrUnknownTransaction)
	require.NoError(t, c.Send(ctx, frames.New(frames.CmdSend, "destination", "/marker"), 0, true))
	require.Equal(t, "/marker", expectFrame(t, got, frames.CmdSend).Header("destination"))

	// The connection ends: the broker has aborted t3, and so do we.
	require.NoError(t, c.Send(ctx, frames.New(frames.CmdSend, "destination", "/bye"), 0, true))
	waitEvent[*DisconnectedEvent](t, rec, nil)
	require.Empty(t, c.OpenTransactions(ctx))
	require.ErrorIs(t, c.Commit(ctx, "t3", 0), ErrNotConnected)
}

// Transactions of one connection do not survive into the next.
func TestTransactionsClearedByDisconnect(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.1"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Begin(testCtx(t), "a", 0))
	require.Equal(t, []string{"a"}, c.OpenTransactions(testCtx(t)))
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	require.Empty(t, c.OpenTransactions(testCtx(t)))
	require.ErrorIs(t, c.Begin(testCtx(t), "b", 0), ErrNotConnected)
}
