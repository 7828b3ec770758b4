package actors

import (
	"context"
	"testing"
	"time"

	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// A Subscribe that fails on its own (no Unsubscribe, no newer
// subscription of its id) is still undone, though its clean-up checks
// that the entry is its own: it is not
// listed, and with Reconnect it is not subscribed again on the next
// connection. Failure causes: its RECEIPT's deadline, its caller's
// context, its connection's loss.
func TestAFailedSubscribeIsStillUndone(t *testing.T) {
	for _, how := range []string{"deadline", "caller", "lost"} {
		t.Run(how, func(t *testing.T) {
			b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "nor", Kind: sim.WithholdReceipt, Conn: 1, Times: -1}}))
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond}})

			receipt := time.Minute
			if how == "deadline" {
				receipt = 300 * time.Millisecond
			}
			ctxA, cancelA := context.WithCancel(testCtx(t))
			defer cancelA()
			errA := make(chan error, 1)
			go func() {
				_, err := c.Subscribe(ctxA, SubscribeSpec{ID: "s1", Destination: "/queue/a", Receipt: receipt, Handler: func(Message) AckAction { return AckNone }})
				errA <- err
			}()
			waitFor(t, "A at the broker", func() bool { return brokerHas(b, 1, "/queue/a") })
			switch how {
			case "caller":
				cancelA()
			case "lost":
				require.NoError(t, b.CloseConnection(1))
			}
			err = recv(t, errA, "A to fail")
			require.Error(t, err)
			t.Logf("A failed with %v", err)
			require.Empty(t, subscriptionIDs(c), "a failed Subscribe is listed")
			if how != "lost" {
				// Undone at the broker too.
				waitFor(t, "A gone at the broker", func() bool { return !brokerHas(b, 1, "/queue/a") })
				require.NoError(t, b.CloseConnection(1))
			}
			waitFor(t, "the second connection", func() bool {
				_, ok := b.Connection(2)
				return ok && c.State() == Connected
			})
			// A marker with a receipt: whatever a resubscribe wrote
			// came before it.
			require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/marker", "m"), time.Minute, true))
			require.False(t, brokerHas(b, 2, "/queue/a"), "the failed Subscribe was made again on the next connection")
			require.Empty(t, subscriptionIDs(c))
			require.Empty(t, lastEventOf(rec, "s1"), "events: %s", describe(rec.all()))
		})
	}
}
