package api

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Abort racing an Ack of the same event on another goroutine: whatever
// the order, the message ends acknowledged exactly once at the broker
// (a failed racing Ack leaves it to a final one), with no data race.
func TestAbortRacingAnAckOfTheSameEventAcksItOnce(t *testing.T) {
	for _, mode := range []AckMode{AckClientIndividual, AckClient} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2")
			ctx := context.Background()
			id, err := s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{Pull: true, AckMode: mode, Prefetch: 1})
			require.NoError(t, err)
			const n = 40
			// Prefetch 1: the next message comes once this one is acknowledged.
			for i := 0; i < n; i++ {
				require.NoError(t, s.SendMessage("/queue/in", "m"))
			}
			rctx, rcancel := context.WithTimeout(ctx, wait)
			defer rcancel()
			for i := 0; i < n; i++ {
				in, err := s.Receive(rctx, id)
				require.NoError(t, err)
				tx := fmt.Sprint("t", i)
				require.NoError(t, s.BeginTransaction(tx))
				_, err = s.Config("AckTransactionId=" + tx)
				require.NoError(t, err)
				require.NoError(t, s.Ack(ctx, in))
				_, err = s.Config("AckTransactionId=")
				require.NoError(t, err)
				res := make(chan error, 1)
				go func() { res <- s.Ack(ctx, in) }()
				require.NoError(t, s.AbortTransaction(tx))
				raced := <-res
				final := s.Ack(ctx, in)
				if raced == nil {
					require.ErrorIs(t, final, ErrAlreadyAcked, "round %d", i)
				} else {
					require.True(t, errors.Is(raced, ErrAlreadyAcked), "round %d: %v", i, raced)
					require.NoError(t, final, "round %d: the racing Ack lost; the ABORT has been written", i)
				}
				waitFor(t, "acknowledged at the broker", func() bool {
					d, ok := b.Destination("/queue/in")
					return ok && d.Unacked+d.Ready == n-i-1
				})
			}
		})
	}
}
