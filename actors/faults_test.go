package actors

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// faultOutcome waits at most d for a done call.
func faultOutcome(o *outcomes, d time.Duration) (string, error, bool) {
	select {
	case name := <-o.ch:
		o.mu.Lock()
		defer o.mu.Unlock()
		return name, o.got[name], true
	case <-time.After(d):
		return "", nil, false
	}
}

// When reconnecting gives up (MaxAttempts), a message still in the outbox
// has ended for good: its done is called (ErrOutcomeUnknown: the broker
// took it, its RECEIPT never came) and its place freed.
func TestGivingUpReconnectingSettlesTheOutbox(t *testing.T) {
	c, o := gaveUpWithAMessageInTheOutbox(t, 2)
	waitFor(t, "Disconnected", func() bool { return c.State() == Disconnected })
	name, err, ok := faultOutcome(o, 3*time.Second)
	require.True(t, ok, "the send's done was never called after the client gave up; outbox holds %d", c.Outbox())
	require.Equal(t, "m", name)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.Zero(t, c.Outbox())
}

// Close after giving up finds the outbox settled.
func TestCloseAfterGivingUpFindsTheOutboxSettled(t *testing.T) {
	c, o := gaveUpWithAMessageInTheOutbox(t, 1)
	c.Close()
	_, _, ok := faultOutcome(o, 3*time.Second)
	require.True(t, ok, "done never called even after Close; outbox holds %d", c.Outbox())
}

// gaveUpWithAMessageInTheOutbox sends an at-least-once message whose
// RECEIPT the broker withholds, closes the broker once it took the
// message, and returns when the client, allowed attempts reconnects, has
// given up.
func gaveUpWithAMessageInTheOutbox(t *testing.T, attempts int) (*Conn, *outcomes) {
	t.Helper()
	b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "nor", Kind: sim.WithholdReceipt, Conn: 1, Times: -1}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, rec := newTestClient(t, ConnOptions{})
	policy := fastReconnect
	policy.MaxAttempts = attempts
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: policy})
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/gu", "x"), OutboxConfig{}, o.done("m")))
	waitFor(t, "the broker to take the message", func() bool {
		d, ok := b.Destination("/queue/gu")
		return ok && d.Enqueued == 1
	})
	require.NoError(t, b.Close())
	waitEvent[*ErrorEvent](t, rec, func(e *ErrorEvent) bool {
		return strings.Contains(e.Err.Error(), "gave up reconnecting")
	})
	return c, o
}

// A SUBSCRIBE whose RECEIPT the broker withholds: Subscribe fails with
// ErrReceiptTimeout, and since the broker may have made the subscription,
// the client unsubscribes it: a user who retries the Subscribe gets every
// message (auto ack: one delivered to a forgotten subscription would be
// lost).
func TestAWithheldSubscribeReceiptLeavesNoSubscriptionAtTheBroker(t *testing.T) {
	b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "nor", Kind: sim.WithholdReceipt, Conn: 1}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	got := make(chan string, 16)
	h := func(m Message) AckAction { got <- string(m.Body); return AckNone }
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/z", Receipt: 200 * time.Millisecond, Handler: h})
	require.ErrorIs(t, err, ErrReceiptTimeout)
	// The user retries, as the error invites.
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: "s2", Destination: "/queue/z", Receipt: 5 * time.Second, Handler: h})
	require.NoError(t, err)
	waitFor(t, "the broker to drop the first subscription", func() bool {
		info, _ := b.Connection(1)
		return len(info.Subscriptions) == 1 && info.Subscriptions[0].ID == "s2"
	})
	for i := range 4 {
		publish(t, b.Addr(), "/queue/z", strconv.Itoa(i))
	}
	var bodies []string
	deadline := time.After(2 * time.Second)
	for len(bodies) < 4 {
		select {
		case s := <-got:
			bodies = append(bodies, s)
		case <-deadline:
			d, _ := b.Destination("/queue/z")
			t.Fatalf("received %v of 4 auto-ack messages; broker: %+v; client dropped %d", bodies, d, c.Stats().Dropped)
		}
	}
}

// A pull subscription survives a reconnect: a caller blocked in Receive
// across the loss gets the message published after the reconnection, and
// so does one that started waiting during the reconnection.
func TestPullReceiveAcrossAReconnect(t *testing.T) {
	for _, mode := range []AckMode{AckAuto, AckClientIndividual} {
		t.Run(string(mode), func(t *testing.T) {
			b := newSim(t)
			c, rec := newTestClient(t, ConnOptions{})
			slow := fastReconnect
			slow.InitialDelay, slow.MaxDelay = 100*time.Millisecond, 100*time.Millisecond
			connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: slow})
			id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/pr", Pull: true, Mode: mode, Receipt: time.Second})
			require.NoError(t, err)
			type res struct {
				m   Message
				err error
			}
			out := make(chan res, 2)
			go func() {
				ctx, cancel := contextWithTimeout(5 * time.Second)
				defer cancel()
				m, err := c.Receive(ctx, id)
				out <- res{m, err}
			}()
			waitFor(t, "the caller to wait", func() bool { r := c.routes.Load().find(id); return r != nil && r.pull.callers.Load() == 1 })
			require.NoError(t, b.CloseConnection(1))
			waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" })
			go func() {
				ctx, cancel := contextWithTimeout(5 * time.Second)
				defer cancel()
				m, err := c.Receive(ctx, id)
				out <- res{m, err}
			}()
			waitFor(t, "the reconnection", func() bool {
				ci, ok := b.Connection(2)
				return ok && len(ci.Subscriptions) == 1 && c.State() == Connected
			})
			publish(t, b.Addr(), "/queue/pr", "a")
			publish(t, b.Addr(), "/queue/pr", "b")
			var bodies []string
			for range 2 {
				r := recv(t, out, "a Receive")
				require.NoError(t, r.err)
				bodies = append(bodies, string(r.m.Body))
			}
			require.ElementsMatch(t, []string{"a", "b"}, bodies)
		})
	}
}

// Unsubscribe while reconnecting ends the subscription, with nothing to
// send (the broker's ended with the connection): it succeeds, and the
// next connection does not restore it.
func TestUnsubscribeWhileReconnectingEndsTheSubscription(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	slow := fastReconnect
	slow.InitialDelay, slow.MaxDelay = 200*time.Millisecond, 200*time.Millisecond
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: slow})
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/u", Handler: func(Message) AckAction { return AckNone }})
	require.NoError(t, err)
	require.NoError(t, b.CloseConnection(1))
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" })
	uerr := c.Unsubscribe(testCtx(t), id, 0)
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnected" })
	t.Logf("Unsubscribe: %v; listed %v; UnsubscribedEvents %d", uerr, c.Subscriptions(), count[*UnsubscribedEvent](rec, nil))
	require.Empty(t, c.Subscriptions())
	require.NoError(t, uerr, "Unsubscribe failed, yet the subscription ended")
}

// Close and Disconnect racing a reconnect attempt held in the broker's
// accept (StallAccept): nothing hangs or leaks (goleak in TestMain,
// newTestClient checks the actors), and the outbox's message is settled.
func TestCloseOrDisconnectRacingAReconnectSettlesTheOutbox(t *testing.T) {
	for i := range 12 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "hold", Kind: sim.StallAccept, Conn: 2}}))
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			c, rec := newTestClient(t, ConnOptions{})
			connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: fastReconnect, ConnectTimeout: 5 * time.Second})
			o := newOutcomes()
			require.NoError(t, b.CloseConnection(1))
			waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" })
			require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/cr", "x"), OutboxConfig{}, o.done("m")))
			if i%3 == 0 {
				waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "connected-tcp" })
			}
			if i%2 == 0 {
				require.NoError(t, c.Disconnect(testCtx(t), true, time.Second))
			} else {
				c.Close()
			}
			_, err, ok := faultOutcome(o, 3*time.Second)
			require.True(t, ok, "the outbox entry was never settled")
			require.Error(t, err)
		})
	}
}

// SendReliable accepted a message (nil): Close right after calls its done
// all the same (the send is handled before the session stops).
func TestCloseRightAfterSendReliableSettlesIt(t *testing.T) {
	lost := 0
	const runs = 20
	for i := range runs {
		b := newSim(t)
		e := NewEngine(EngineOptions{})
		c := mustConn(t, e, ConnOptions{})
		connectTo(t, c, b.Addr(), ConnectConfig{})
		o := newOutcomes()
		require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/cl", strconv.Itoa(i)), OutboxConfig{}, o.done("m")))
		c.Close()
		if _, _, ok := faultOutcome(o, time.Second); !ok {
			lost++
		}
		require.NoError(t, e.Close())
	}
	require.Zero(t, lost, "%d of %d accepted sends never heard their outcome after Close", lost, runs)
}
