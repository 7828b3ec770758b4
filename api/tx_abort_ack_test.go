package api

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The transactional consume-process-produce loop: ACK the input and SEND
// the output in one transaction; on failure ABORT and try again. ABORT
// discards the ACK at the broker, so the client forgets it too: the retry
// acknowledges the same message in a new transaction, and with Prefetch 1
// the next message then comes.
func TestAnAckAbortedWithItsTransactionCanBeRedone(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	ctx := context.Background()
	id, err := s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{Pull: true, AckMode: AckClientIndividual, Prefetch: 1})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/in", "order-1"))
	require.NoError(t, s.SendMessage("/queue/in", "order-2"))
	rctx, rcancel := context.WithTimeout(ctx, wait)
	defer rcancel()
	in, err := s.Receive(rctx, id)
	require.NoError(t, err)

	// Attempt 1: fails downstream, aborted.
	require.NoError(t, s.BeginTransaction("try-1"))
	_, err = s.Config("AckTransactionId=try-1")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, in))
	require.NoError(t, s.AbortTransaction("try-1"))

	// Attempt 2: the same message, a new transaction.
	require.NoError(t, s.BeginTransaction("try-2"))
	_, err = s.Config("AckTransactionId=try-2")
	require.NoError(t, err)
	require.NoError(t, s.Send(ctx, "/queue/out", []byte("result"), SendOptions{TransactionID: "try-2"}))
	ackErr := s.Ack(ctx, in)
	require.NoError(t, s.CommitTransaction("try-2"))
	_, _ = s.Config("AckTransactionId=")
	require.NoError(t, ackErr, "the retry acknowledges the message whose ACK was aborted")
	// A committed ACK stays made.
	require.ErrorIs(t, s.Ack(ctx, in), ErrAlreadyAcked)
	// The next message comes (prefetch 1): the consumer is not wedged.
	short, scancel := context.WithTimeout(ctx, 2*time.Second)
	defer scancel()
	next, err := s.Receive(short, id)
	if assert.NoError(t, err, "the consumer is wedged behind a message it can neither ACK nor NACK") {
		assert.Equal(t, "order-2", next.Text())
	}
}

// In ack mode client an ACK covers the earlier messages too; aborted, it
// covers none of them any more: each may be acknowledged again, and the
// broker then holds none.
func TestAnAbortedCumulativeAckCoversNothing(t *testing.T) {
	for _, v := range []string{"1.0", "1.2"} {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, v)
			ctx := context.Background()
			id, err := s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{Pull: true, AckMode: AckClient})
			require.NoError(t, err)
			require.NoError(t, s.SendMessage("/queue/in", "1"))
			require.NoError(t, s.SendMessage("/queue/in", "2"))
			rctx, rcancel := context.WithTimeout(ctx, wait)
			defer rcancel()
			m1, err := s.Receive(rctx, id)
			require.NoError(t, err)
			m2, err := s.Receive(rctx, id)
			require.NoError(t, err)

			require.NoError(t, s.BeginTransaction("t"))
			_, err = s.Config("AckTransactionId=t")
			require.NoError(t, err)
			require.NoError(t, s.Ack(ctx, m2))
			require.ErrorIs(t, s.Ack(ctx, m1), ErrAlreadyAcked, "covered while the transaction is open")
			require.NoError(t, s.AbortTransaction("t"))
			_, err = s.Config("AckTransactionId=")
			require.NoError(t, err)

			require.NoError(t, s.Ack(ctx, m1), "the aborted ACK no longer covers it")
			waitFor(t, "the first acknowledged", func() bool {
				d, ok := b.Destination("/queue/in")
				return ok && d.Unacked == 1
			})
			require.NoError(t, s.Ack(ctx, m2))
			waitFor(t, "both acknowledged", func() bool {
				d, ok := b.Destination("/queue/in")
				return ok && d.Unacked == 0 && d.Ready == 0
			})
		})
	}
}

// A handler's ACK at its return, in an AckTransactionId transaction that
// is aborted, is undone too: the program that kept the event acknowledges
// it again.
func TestAHandlersAckAbortedCanBeRedone(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	ctx := context.Background()
	require.NoError(t, s.BeginTransaction("t"))
	_, err := s.Config("AckTransactionId=t")
	require.NoError(t, err)
	got := make(chan *MessageInEvent, 1)
	_, err = s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{AckMode: AckClientIndividual, Handler: func(ev *MessageInEvent) { got <- ev }})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/in", "1"))
	ev := recv(t, got)
	// The ACK at the handler's return is written in t.
	waitFor(t, "the ACK at the broker", func() bool {
		return s.Stats().Acks == 1
	})
	require.NoError(t, s.AbortTransaction("t"))
	_, err = s.Config("AckTransactionId=")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, ev))
	waitFor(t, "acknowledged", func() bool {
		d, ok := b.Destination("/queue/in")
		return ok && d.Unacked == 0 && d.Ready == 0
	})
}
