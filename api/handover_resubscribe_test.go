package api

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// From review 14: fix-consumer's handover goes on after Unsubscribe returned.
// A program that resubscribes with the same id (to change a selector or
// the destination, with the same handler) then has two goroutines handling
// messages of subscription "x" at once, and the new subscription's
// messages overtake the old one's received earlier. doc.go: "messages of
// one subscription are handled in order ... a slow handler holds back only
// its own subscription". Expected: a Subscribe with the id of a
// subscription whose handover runs waits for it (or is refused with
// ErrSubscriptionExists), so that handlers of id "x" never overlap.
func TestASubscribeWithTheIdOfAHandoverStartsAfterItInOrder(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 4
	hold := make(chan struct{})
	handled := make(chan string, 2*n)
	var running, overlaps atomic.Int32
	h := func(ev *MessageInEvent) {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer running.Add(-1)
		if ev.Text() == "0" {
			<-hold
		}
		handled <- ev.SubscriptionID + ":" + ev.Text()
	}
	_, err := s.SubscribeWith(context.Background(), "/queue/resub", SubscribeOptions{ID: "x", Handler: h})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/resub", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == n })
	require.NoError(t, s.Unsubscribe("x"))
	_, err = s.SubscribeWith(context.Background(), "/queue/resub2", SubscribeOptions{ID: "x", Handler: h})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/resub2", "new"))
	// Give the new subscription its chance to overtake (it should not).
	var first string
	select {
	case first = <-handled:
	case <-time.After(500 * time.Millisecond):
	}
	close(hold)
	var got []string
	if first != "" {
		got = append(got, first)
	}
	for len(got) < n+1 {
		got = append(got, recv(t, handled))
	}
	assert.Equal(t, []string{"x:0", "x:1", "x:2", "x:3", "x:new"}, got, "messages of subscription x handled out of order")
	assert.Zero(t, overlaps.Load(), "two handler calls of subscription x ran at once")
}

// A Close while the new subscription of the id still waits for the old
// one's handover: Close returns (it does not wait for the running
// handler), counts what neither will hand on, and once the handler
// returns no handler of id x runs again; nothing is left running
// (TestMain's goleak).
func TestCloseWhileASubscribeWaitsForTheHandoverOfItsIdEndsBoth(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 3
	hold := make(chan struct{})
	returned := make(chan struct{})
	var calls atomic.Int32
	h := func(ev *MessageInEvent) {
		calls.Add(1)
		if ev.Text() == "0" {
			defer close(returned)
			<-hold
		}
	}
	_, err := s.SubscribeWith(context.Background(), "/queue/resubc", SubscribeOptions{ID: "x", Handler: h})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/resubc", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == n })
	require.NoError(t, s.Unsubscribe("x"))
	_, err = s.SubscribeWith(context.Background(), "/queue/resubc2", SubscribeOptions{ID: "x", Handler: h})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/resubc2", "new"))
	waitFor(t, "the new message received", func() bool { return s.Stats().MessagesIn == n+1 })
	closeWhileHandlerBlocked(t, s) // the old subscription's handler is blocked
	// The old subscription's rest (n-1) and the new one's held message
	// (review 15, finding 3: auto-ack, counted consumed by the broker).
	assert.EqualValues(t, n, s.Stats().Dropped, "the old subscription's rest and the new one's held message are counted by the time Close returns")
	close(hold)
	<-returned
	assert.EqualValues(t, 1, calls.Load(), "a handler of x ran after Close")
}
