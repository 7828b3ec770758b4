package api

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two transactions' cumulative ACKs (ack mode client), A's covering m2,
// then B's covering m4; A aborted, then B aborted. The broker discarded
// both: nothing is acknowledged, and m1 may be acknowledged. The client
// restores B's "before" record, which was A's aborted cover, and refuses
// m1 (and m2) with ErrAlreadyAcked.
func TestInterleavedCumulativeAbortsLeaveNothingCovered(t *testing.T) {
	for _, v := range []string{"1.0", "1.2"} {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, v)
			ctx := context.Background()
			id, err := s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{Pull: true, AckMode: AckClient})
			require.NoError(t, err)
			for _, m := range []string{"1", "2", "3", "4"} {
				require.NoError(t, s.SendMessage("/queue/in", m))
			}
			rctx, rcancel := context.WithTimeout(ctx, wait)
			defer rcancel()
			var ms []*MessageInEvent
			for i := 0; i < 4; i++ {
				m, err := s.Receive(rctx, id)
				require.NoError(t, err)
				ms = append(ms, m)
			}
			require.NoError(t, s.BeginTransaction("A"))
			require.NoError(t, s.BeginTransaction("B"))
			_, err = s.Config("AckTransactionId=A")
			require.NoError(t, err)
			require.NoError(t, s.Ack(ctx, ms[1]))
			_, err = s.Config("AckTransactionId=B")
			require.NoError(t, err)
			require.NoError(t, s.Ack(ctx, ms[3]))
			require.NoError(t, s.AbortTransaction("A"))
			require.NoError(t, s.AbortTransaction("B"))
			_, err = s.Config("AckTransactionId=")
			require.NoError(t, err)

			// Both aborted: the broker holds all four unacknowledged.
			waitFor(t, "both aborted at the broker", func() bool {
				d, ok := b.Destination("/queue/in")
				return ok && d.Unacked == 4
			})
			assert.NoError(t, s.Ack(ctx, ms[0]), "m1: no ACK the broker kept covers it")
		})
	}
}

// With Timeout 0 the calls are queued and run in order: Ack in t, Abort
// t, then Ack again (no transaction). AbortTransaction returned nil, and
// the Ack made after it runs after the ABORT; but the event is still
// settled when the second Ack is made (the undo runs only when the
// queued Abort does), so it is refused at once with ErrAlreadyAcked and
// the message stays unacknowledged at the broker.
func TestATimeout0AckAfterAnAbortRedoesTheAbortedAck(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	ctx := context.Background()
	id, err := s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{Pull: true, AckMode: AckClientIndividual})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/in", "m"))
	rctx, rcancel := context.WithTimeout(ctx, wait)
	defer rcancel()
	in, err := s.Receive(rctx, id)
	require.NoError(t, err)
	require.NoError(t, s.SetTimeout(0))

	require.NoError(t, s.BeginTransaction("t"))
	_, err = s.Config("AckTransactionId=t")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, in))
	require.NoError(t, s.AbortTransaction("t"))
	_, err = s.Config("AckTransactionId=")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, in), "queued after the ABORT, which discards the first ACK")
	waitFor(t, "the message acknowledged at the broker", func() bool {
		d, ok := b.Destination("/queue/in")
		return ok && d.Unacked == 0 && d.Ready == 0
	})
}
