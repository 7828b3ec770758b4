package api

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An open transaction keeps every event acknowledged in it (the undo
// closure of AckRefUndo holds the *MessageInEvent, and with it the
// message's body) until it is committed or aborted: a consumer that
// acknowledges a large batch in one transaction, and drops each event
// once processed, keeps all their bodies in memory. Without a
// transaction the events are collected.
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
			deadline := time.Now().Add(2 * time.Second)
			for freed.Load() < n && time.Now().Before(deadline) {
				runtime.GC()
				time.Sleep(10 * time.Millisecond)
			}
			assert.Equal(t, int32(n), freed.Load(), "acknowledged events dropped by the program are still reachable")
			if inTx {
				require.NoError(t, s.CommitTransaction("batch"))
			}
		})
	}
}
