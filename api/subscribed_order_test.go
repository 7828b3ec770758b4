package api

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Subscribe and Unsubscribe of one id the program chose, from different
// goroutines: the Subscribed and Unsubscribed events of that id come in
// the order the calls took effect, so a program that follows them knows
// whether the id is live. After the calls, the last event says what
// Subscriptions says.
func TestSubscribedEventsFollowTheOrderCallsTookEffect(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithTimeout(5*time.Second))
	var mu sync.Mutex
	var log []string
	s.OnSubscribed(func(e *SubscribedEvent) {
		mu.Lock()
		log = append(log, "+"+e.SubscriptionID)
		mu.Unlock()
	})
	s.OnUnsubscribed(func(e *UnsubscribedEvent) {
		mu.Lock()
		log = append(log, "-"+e.SubscriptionID)
		mu.Unlock()
	})
	var bad atomic.Int32
	for round := range 200 {
		id := fmt.Sprint("same-", round)
		var wg sync.WaitGroup
		wg.Add(2)
		var subErr, unsubErr error
		go func() {
			defer wg.Done()
			_, subErr = s.SubscribeWith(context.Background(), "/queue/order", SubscribeOptions{ID: id})
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				if unsubErr = s.Unsubscribe(id); unsubErr == nil {
					return
				}
			}
		}()
		runWithin(t, "Subscribe and Unsubscribe", raceBound, wg.Wait)
		require.NoError(t, subErr)
		live := len(s.Subscriptions()) > 0
		// A call returns once its handlers ran: the log is complete.
		// (Bounded wait all the same, for both events of the id.)
		if unsubErr == nil {
			waitFor(t, "both events of "+id, func() bool {
				mu.Lock()
				defer mu.Unlock()
				n := 0
				for _, l := range log {
					if l[1:] == id {
						n++
					}
				}
				return n >= 2
			})
		}
		mu.Lock()
		var last string
		for _, l := range log {
			if l[1:] == id {
				last = l[:1]
			}
		}
		mu.Unlock()
		if (last == "+") != live {
			bad.Add(1)
			t.Logf("round %d: live %v but the last event of %s was %q (unsubscribe err %v)", round, live, id, last, unsubErr)
		}
		if live {
			require.NoError(t, s.Unsubscribe(id))
		}
	}
	assert.Zero(t, bad.Load(), "rounds where the events disagree with Subscriptions")
}

// A Subscribe racing a Disconnect: a Subscribed event never follows the
// Disconnected event of its connection (which told that every
// subscription ended), so a program that forgets its subscriptions on
// OnDisconnected never keeps one that is not live.
func TestSubscribedEventNeverFollowsDisconnected(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	s := newClient(t, WithTimeout(5*time.Second))
	var mu sync.Mutex
	var log []string
	note := func(l string) {
		mu.Lock()
		log = append(log, l)
		mu.Unlock()
	}
	s.OnSubscribed(func(e *SubscribedEvent) { note("+" + e.SubscriptionID) })
	s.OnDisconnected(func(*DisconnectedEvent) { note("D") })
	s.OnConnected(func(*ConnectedEvent) { note("C") })
	const rounds = 100
	for round := range rounds {
		// Connect waits for the handlers of the events queued before
		// its own: the log holds every event of the rounds before.
		require.NoError(t, s.Connect(h, p))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _ = s.SubscribeWith(context.Background(), "/queue/race-disc", SubscribeOptions{ID: fmt.Sprint("r-", round)})
		}()
		go func() {
			defer wg.Done()
			_ = s.Disconnect()
		}()
		runWithin(t, "Subscribe and Disconnect", raceBound, wg.Wait)
	}
	require.NoError(t, s.Connect(h, p))
	mu.Lock()
	defer mu.Unlock()
	live := map[string]bool{}
	bad := 0
	for i, l := range log {
		switch {
		case l == "D":
			clear(live)
		case l == "C":
			if len(live) > 0 {
				bad++
				t.Logf("event %d: connected again, but the Subscribed events after the last Disconnected leave %v live", i, live)
			}
			clear(live)
		default:
			live[l[1:]] = true
		}
	}
	assert.Zero(t, bad, "connections whose Subscribed event came after their Disconnected")
}
