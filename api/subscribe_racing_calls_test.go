package api

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// An Unsubscribe whose own UNSUBSCRIBE is confirmed at once returns on
// that outcome, even while a racing Subscribe of the same id still waits
// for a RECEIPT that does not come: no call waits for another call's
// outcome. The Subscribed event of that id is told (the session made the
// subscription) before the Unsubscribed one.
func TestUnsubscribeReturnsOnItsOwnReceiptDespiteRacingSubscribe(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithTimeout(3*time.Second), WithRequestSubscriptionReceipts(true))
	var mu sync.Mutex
	var log []string
	s.OnSubscribed(func(e *SubscribedEvent) { mu.Lock(); log = append(log, "+"+e.SubscriptionID); mu.Unlock() })
	s.OnUnsubscribed(func(e *UnsubscribedEvent) { mu.Lock(); log = append(log, "-"+e.SubscriptionID); mu.Unlock() })
	require.NoError(t, b.Inject(sim.Fault{Name: "hold", Kind: sim.WithholdReceipt, Conn: 1}))
	subDone := make(chan error, 1)
	go func() {
		_, err := s.SubscribeWith(context.Background(), "/queue/r22w", SubscribeOptions{ID: "w"})
		subDone <- err
	}()
	waitFor(t, "the SUBSCRIBE at the broker", func() bool { return len(received(t, b, 1, frames.CmdSubscribe)) > 0 })
	start := time.Now()
	err := s.Unsubscribe("w")
	took := time.Since(start)
	t.Logf("Unsubscribe: %v after %v", err, took)
	require.NoError(t, err)
	require.Less(t, took, time.Second, "Unsubscribe, its own RECEIPT in hand, waited for the Subscribe's")
	mu.Lock()
	got := append([]string(nil), log...)
	mu.Unlock()
	require.Equal(t, []string{"+w", "-w"}, got, "the events of w as Unsubscribe returned")
	select {
	case err := <-subDone:
		t.Logf("Subscribe: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Subscribe did not return")
	}
	mu.Lock()
	got = append([]string(nil), log...)
	mu.Unlock()
	require.Equal(t, []string{"+w", "-w"}, got, "the events of w once both calls returned")
	require.Empty(t, s.Subscriptions())
}

// After Subscribe("x"), an Unsubscribe("x") whose RECEIPT does not come
// fails, but the subscription ended on the client (Subscriptions no
// longer lists it): its Unsubscribed event is told all the same, so the
// last event of an id says whether Subscriptions lists it.
func TestUnsubscribeReceiptTimeoutStillTellsUnsubscribed(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithTimeout(time.Second), WithRequestSubscriptionReceipts(true))
	var mu sync.Mutex
	var log []string
	s.OnSubscribed(func(e *SubscribedEvent) { mu.Lock(); log = append(log, "+"+e.SubscriptionID); mu.Unlock() })
	s.OnUnsubscribed(func(e *UnsubscribedEvent) { mu.Lock(); log = append(log, "-"+e.SubscriptionID); mu.Unlock() })
	_, err := s.SubscribeWith(t.Context(), "/queue/r22", SubscribeOptions{ID: "x"})
	require.NoError(t, err)
	require.NoError(t, b.Inject(sim.Fault{Name: "hold", Kind: sim.WithholdReceipt, Conn: 1}))
	err = s.Unsubscribe("x")
	t.Logf("Unsubscribe: %v", err)
	require.Error(t, err, "the RECEIPT was withheld")
	listed := false
	for _, sub := range s.Subscriptions() {
		listed = listed || sub.ID == "x"
	}
	mu.Lock()
	last := log[len(log)-1]
	got := append([]string(nil), log...)
	mu.Unlock()
	require.False(t, listed)
	require.Equal(t, listed, last == "+x", "Subscriptions lists x: %v, but the events of x were %v", listed, got)
}

// The mirror: a Subscribe of an id a racing Unsubscribe just ended
// returns on its own outcome while that Unsubscribe still waits for a
// RECEIPT that does not come; the events of the id are the end, then
// the new subscription.
func TestSubscribeReturnsOnItsOwnOutcomeDespiteRacingUnsubscribe(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithTimeout(3*time.Second), WithRequestSubscriptionReceipts(true))
	var mu sync.Mutex
	var log []string
	s.OnSubscribed(func(e *SubscribedEvent) { mu.Lock(); log = append(log, "+"+e.SubscriptionID); mu.Unlock() })
	s.OnUnsubscribed(func(e *UnsubscribedEvent) { mu.Lock(); log = append(log, "-"+e.SubscriptionID); mu.Unlock() })
	_, err := s.SubscribeWith(t.Context(), "/queue/r22m", SubscribeOptions{ID: "m"})
	require.NoError(t, err)
	require.NoError(t, b.Inject(sim.Fault{Name: "hold", Kind: sim.WithholdReceipt, Conn: 1}))
	unsubDone := make(chan error, 1)
	go func() { unsubDone <- s.Unsubscribe("m") }()
	waitFor(t, "the UNSUBSCRIBE at the broker", func() bool { return len(received(t, b, 1, frames.CmdUnsubscribe)) > 0 })
	start := time.Now()
	_, err = s.SubscribeWith(t.Context(), "/queue/r22m", SubscribeOptions{ID: "m"})
	took := time.Since(start)
	t.Logf("Subscribe: %v after %v", err, took)
	require.NoError(t, err)
	require.Less(t, took, time.Second, "Subscribe, its own RECEIPT in hand, waited for the Unsubscribe's")
	mu.Lock()
	got := append([]string(nil), log...)
	mu.Unlock()
	require.Equal(t, []string{"+m", "-m", "+m"}, got)
	select {
	case err := <-unsubDone:
		t.Logf("Unsubscribe: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Unsubscribe did not return")
	}
	mu.Lock()
	got = append([]string(nil), log...)
	mu.Unlock()
	require.Equal(t, []string{"+m", "-m", "+m"}, got)
	require.Len(t, s.Subscriptions(), 1)
}
