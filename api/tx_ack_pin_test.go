package api

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// An open transaction keeps none of the events acknowledged in it (its
// notes reach them through weak pointers): a consumer that acknowledges a
// large batch in one transaction, and drops each event once processed,
// lets their bodies go, as it does without a transaction.
func TestAnOpenTransactionDoesNotPinAckedEvents(t *testing.T) {
	for _, inTx := range []bool{false, true} {
		t.Run(fmt.Sprint("tx=", inTx), func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2")
			ctx := context.Background()
			id, err := s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{Pull: true, AckMode: AckClientIndividual})
			require.NoError(t, err)
			const n = 20
			body := make([]byte, 64<<10)
			for i := 0; i < n; i++ {
				require.NoError(t, s.SendData("/queue/in", body))
			}
			if inTx {
				require.NoError(t, s.BeginTransaction("batch"))
				_, err = s.Config("AckTransactionId=batch")
				require.NoError(t, err)
			}
			var freed atomic.Int32
			rctx, rcancel := context.WithTimeout(ctx, wait)
			defer rcancel()
			func() {
				for i := 0; i < n; i++ {
					ev, err := s.Receive(rctx, id)
					require.NoError(t, err)
					require.NoError(t, s.Ack(ctx, ev))
					runtime.SetFinalizer(ev, func(*MessageInEvent) { freed.Add(1) })
				}
			}()
			waitFor(t, "the acknowledged events, dropped by the program, collected", func() bool {
				runtime.GC()
				return freed.Load() == n
			})
			if inTx {
				require.NoError(t, s.CommitTransaction("batch"))
			}
		})
	}
}
