package api

import (
	"context"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// pullAcked subscribes to queue in mode with Pull, sends it n messages and
// receives them.
func pullAcked(t *testing.T, s *STOMP, queue string, mode AckMode, n int) []*MessageInEvent {
	t.Helper()
	ctx := context.Background()
	id, err := s.SubscribeWith(ctx, queue, SubscribeOptions{Pull: true, AckMode: mode})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, s.SendMessage(queue, strconv.Itoa(i+1)))
	}
	rctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	out := make([]*MessageInEvent, 0, n)
	for range n {
		m, err := s.Receive(rctx, id)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

// A transaction committed by raw bytes (SendCustomFrame) keeps its ACKs,
// as one committed by CommitTransaction does: a transaction of the same
// id begun and aborted later undoes nothing of it (else the client would
// take the message for unacknowledged, and a second ACK of it would go on
// the wire, which the broker refuses: "unknown ack id").
func TestARawCommitKeepsItsAcks(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	ctx := context.Background()
	ms := pullAcked(t, s, "/queue/rawcommit", AckClientIndividual, 1)
	require.NoError(t, s.BeginTransaction("t"))
	_, err := s.Config("AckTransactionId=t")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, ms[0]))
	_, err = s.Config("SendCustomFrame=" + hex.EncodeToString([]byte("COMMIT\ntransaction:t\n\n\x00")))
	require.NoError(t, err)
	_, err = s.Config("AckTransactionId=")
	require.NoError(t, err)
	waitFor(t, "committed at the broker", func() bool {
		d, ok := b.Destination("/queue/rawcommit")
		return ok && d.Unacked == 0 && d.Ready == 0
	})
	require.ErrorIs(t, s.Ack(ctx, ms[0]), ErrAlreadyAcked)
	// Later, the id is used again, for something else, and aborted.
	require.NoError(t, s.BeginTransaction("t"))
	require.NoError(t, s.AbortTransaction("t"))
	require.ErrorIs(t, s.Ack(ctx, ms[0]), ErrAlreadyAcked, "the abort of a later transaction of the same id undid an ACK committed by raw bytes")
	require.EqualValues(t, 1, s.Stats().Acks)
}

// A transaction aborted by raw bytes undoes its Acks as AbortTransaction
// does: the broker discarded them, and the message may be acknowledged
// again.
func TestARawAbortUndoesItsAcks(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	ctx := context.Background()
	ms := pullAcked(t, s, "/queue/rawabort", AckClientIndividual, 1)
	require.NoError(t, s.BeginTransaction("t"))
	_, err := s.Config("AckTransactionId=t")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, ms[0]))
	_, err = s.Config("SendCustomFrame=" + hex.EncodeToString([]byte("ABORT\ntransaction:t\n\n\x00")))
	require.NoError(t, err)
	_, err = s.Config("AckTransactionId=")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, ms[0]))
	waitFor(t, "acknowledged at the broker", func() bool {
		d, ok := b.Destination("/queue/rawabort")
		return ok && d.Unacked == 0 && d.Ready == 0
	})
	require.ErrorIs(t, s.Ack(ctx, ms[0]), ErrAlreadyAcked)
}
