package api

import (
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTransactions(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, v)
			got := collect(s.OnMessageIn)
			_, err := s.Subscribe("/queue/tx", false)
			require.NoError(t, err)

			require.NoError(t, s.BeginTransaction("t1"))
			require.NoError(t, s.BeginTransaction("t2"))
			assert.Equal(t, []string{"t1", "t2"}, s.OpenTransactions())
			open, err := s.Config("OpenTransactions")
			require.NoError(t, err)
			assert.Equal(t, "t1,t2", open)
			assert.ErrorIs(t, s.BeginTransaction("t1"), ErrTransactionExists)

			require.NoError(t, s.SetTransactionID("t1"))
			assert.Equal(t, "t1", s.TransactionID())
			require.NoError(t, s.SendMessage("/queue/tx", "committed"))
			require.NoError(t, s.SetTransactionID("t2"))
			require.NoError(t, s.SendMessage("/queue/tx", "aborted"))
			require.NoError(t, s.SetTransactionID(""))
			waitFor(t, "two SENDs", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 2 })
			sends := received(t, b, 1, frames.CmdSend)
			assert.Equal(t, "t1", sends[0].Header("transaction"))
			assert.Equal(t, "t2", sends[1].Header("transaction"))
			assert.Empty(t, got, "nothing delivered before COMMIT")

			require.NoError(t, s.AbortTransaction("t2"))
			require.NoError(t, s.CommitTransaction("t1"))
			assert.Equal(t, "committed", recv(t, got).Text())
			require.NoError(t, s.SendMessage("/queue/tx", "plain"))
			assert.Equal(t, "plain", recv(t, got).Text(), "the aborted message never arrives")
			assert.Empty(t, s.OpenTransactions())

			assert.ErrorIs(t, s.CommitTransaction("t1"), ErrUnknownTransaction)
			assert.ErrorIs(t, s.AbortTransaction("nope"), ErrUnknownTransaction)
			assert.ErrorIs(t, s.BeginTransaction(""), ErrInvalidArgument)
		})
	}
}

func TestTransactionReceipts(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	out := collect(s.OnReceiptOut)
	_, err := s.Config("RequestTransactionReceipts=true")
	require.NoError(t, err)
	require.NoError(t, s.BeginTransaction("t"))
	require.NoError(t, s.CommitTransaction("t"))
	assert.Equal(t, "BEGIN", recv(t, out).Command)
	assert.Equal(t, "COMMIT", recv(t, out).Command)
	assert.NotEmpty(t, waitFrame(t, b, 1, frames.CmdBegin).Header("receipt"))
	assert.NotEmpty(t, waitFrame(t, b, 1, frames.CmdCommit).Header("receipt"))
}

func TestTransactionsNeedAConnection(t *testing.T) {
	s := newClient(t)
	assert.ErrorIs(t, s.BeginTransaction("t"), ErrNotConnected)
	assert.ErrorIs(t, s.CommitTransaction("t"), ErrNotConnected)
	assert.ErrorIs(t, s.AbortTransaction("t"), ErrNotConnected)
	assert.Empty(t, s.OpenTransactions())
}
