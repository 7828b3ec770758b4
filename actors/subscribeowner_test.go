package actors

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// A Subscribe (A) that fails after an Unsubscribe ended it and a new
// Subscribe (B) took its id undoes nothing of B: B stays listed, gets
// its messages, and no UNSUBSCRIBE is written for it. The failure comes
// after B's SUBSCRIBE is on the wire, each way a waiting Subscribe
// fails: an ERROR naming its receipt, its caller's context ending, its
// connection ending (the last with Reconnect, so that B outlives it).
func TestAFailedSubscribeLeavesTheNewerSubscriptionOfItsID(t *testing.T) {
	for _, how := range []string{"error", "caller"} {
		t.Run(how, func(t *testing.T) {
			// The broker answers no receipt of A; with "error" it
			// answers A's with an ERROR once it read B's SUBSCRIBE.
			var receiptA string
			srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
				if f.Command == frames.CmdSend {
					// The marker: a message for s1 behind it.
					p.write(rawFrame("MESSAGE", "hi", "subscription", "s1", "destination", "/queue/b", "message-id", "m1"))
				}
				if f.Command != frames.CmdSubscribe {
					return true
				}
				if r, ok := f.Headers.Get(frames.HdrReceipt); ok && receiptA == "" {
					receiptA = r
				} else if how == "error" {
					p.write(rawFrame("ERROR", "refused", "message", "no", "receipt-id", receiptA))
				}
				return true
			})
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{})
			expectFrame(t, got, frames.CmdConnect)

			ctxA, cancelA := context.WithCancel(testCtx(t))
			defer cancelA()
			errA := make(chan error, 1)
			go func() {
				_, err := c.Subscribe(ctxA, SubscribeSpec{ID: "s1", Destination: "/queue/a", Receipt: time.Minute, Handler: func(Message) AckAction { return AckNone }})
				errA <- err
			}()
			expectFrame(t, got, frames.CmdSubscribe)
			require.NoError(t, c.Unsubscribe(testCtx(t), "s1", 0))
			expectFrame(t, got, frames.CmdUnsubscribe)
			delivered := make(chan Message, 1)
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/b", Handler: func(m Message) AckAction {
				delivered <- m
				return AckNone
			}})
			require.NoError(t, err)
			require.Equal(t, "/queue/b", expectFrame(t, got, frames.CmdSubscribe).Header(frames.HdrDestination))
			if how == "caller" {
				cancelA()
			}
			err = recv(t, errA, "the first Subscribe to fail")
			require.Error(t, err)
			if how == "error" {
				require.True(t, IsServerError(err), "%v", err)
			}

			// Subscribe A has returned: its clean-up is done.
			require.Equal(t, []string{"s1"}, subscriptionIDs(c))
			require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/marker", "m"), 0, true))
			f := nextFrame(t, got)
			require.Equal(t, frames.CmdSend, f.Command, "the client wrote %s before the marker", f)
			// B still gets its messages.
			m := recv(t, delivered, "a message for the newer subscription")
			require.Equal(t, "/queue/b", m.Destination)
			// The last event of s1 says it is subscribed.
			require.Equal(t, "*actors.SubscribedEvent", lastEventOf(rec, "s1"), "events: %s", describe(rec.all()))
		})
	}
}

// The same with the connection ending under A: with Reconnect, B is
// subscribed again on the next connection.
func TestASubscribeFailedByItsConnectionLeavesTheNewerSubscriptionOfItsID(t *testing.T) {
	b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "nor", Kind: sim.WithholdReceipt, Conn: 1, Times: -1}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond}})

	errA := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/a", Receipt: time.Minute, Handler: func(Message) AckAction { return AckNone }})
		errA <- err
	}()
	waitFor(t, "A at the broker", func() bool { return brokerHas(b, 1, "/queue/a") })
	require.NoError(t, c.Unsubscribe(testCtx(t), "s1", 0))
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/b", Handler: func(Message) AckAction { return AckNone }})
	require.NoError(t, err)
	waitFor(t, "B at the broker", func() bool { return brokerHas(b, 1, "/queue/b") })
	require.NoError(t, b.CloseConnection(1))
	err = recv(t, errA, "the first Subscribe to fail")
	require.ErrorIs(t, err, ErrOutcomeUnknown)

	waitFor(t, "B at the broker's second connection", func() bool { return brokerHas(b, 2, "/queue/b") })
	require.Equal(t, []string{"s1"}, subscriptionIDs(c))
	// A marker sent after B is back: nothing undid B before it.
	require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/marker", "m"), time.Minute, true))
	require.True(t, brokerHas(b, 2, "/queue/b"), "B was unsubscribed at the broker")
	require.Equal(t, []string{"s1"}, subscriptionIDs(c))
	require.Equal(t, "*actors.SubscribedEvent", lastEventOf(rec, "s1"), "events: %s", describe(rec.all()))
}

// brokerHas reports whether the sim's connection n has a subscription
// to dest.
func brokerHas(b *sim.Broker, n int, dest string) bool {
	ci, ok := b.Connection(n)
	return ok && slices.ContainsFunc(ci.Subscriptions, func(s sim.SubscriptionInfo) bool { return s.Destination == dest })
}

func subscriptionIDs(c *Conn) []string {
	var ids []string
	for _, s := range c.Subscriptions() {
		ids = append(ids, s.ID)
	}
	return ids
}

// lastEventOf names the type of the last Subscribed or Unsubscribed
// event of id.
func lastEventOf(rec *recorder, id string) string {
	last := ""
	for _, e := range rec.all() {
		switch x := e.(type) {
		case *SubscribedEvent:
			if x.ID == id {
				last = "*actors.SubscribedEvent"
			}
		case *UnsubscribedEvent:
			if x.ID == id {
				last = "*actors.UnsubscribedEvent"
			}
		}
	}
	return last
}
