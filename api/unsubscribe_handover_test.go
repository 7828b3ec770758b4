package api

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Unsubscribe of an auto-ack subscription hands the messages the client
// already received and has not yet handled to the handler, in order, as
// Disconnect does: the broker counted them consumed when it sent them (ack
// auto), so they are in no queue any more and would never come again.
// Unsubscribe does not wait for them; the handler gets them after it
// returns, on the subscription's goroutine. None is dropped, and
// Stats.Dropped stays 0. (The data-loss review, F8, found them discarded,
// uncounted.)
func TestUnsubscribeHandsOverTheAutoAckMessagesItReceived(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 5
	hold := make(chan struct{})
	handled := make(chan string, n)
	id, err := s.SubscribeWith(context.Background(), "/queue/auto", SubscribeOptions{
		Handler: func(ev *MessageInEvent) {
			if ev.Text() == "0" {
				<-hold // a slow handler: the others wait in the queue
			}
			handled <- ev.Text()
		},
	})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/auto", strconv.Itoa(i)))
	}
	waitFor(t, "every message received by the client", func() bool { return s.Stats().MessagesIn == n })
	require.NoError(t, s.Unsubscribe(id))
	assert.Empty(t, s.Subscriptions(), "the subscription ended")
	close(hold)
	var got []string
	for range n {
		got = append(got, recv(t, handled))
	}
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, got, "the received auto-ack messages are handed over in order")
	d, _ := b.Destination("/queue/auto")
	assert.Zero(t, d.Ready+d.Unacked, "the broker holds none of them: they were consumed")
	assert.Zero(t, s.Stats().Dropped, "none dropped")
	// The handover ends: nothing more comes, and a later message to another
	// subscription is handled.
	other := make(chan struct{}, 1)
	_, err = s.SubscribeWith(context.Background(), "/queue/other2", SubscribeOptions{Handler: func(*MessageInEvent) { other <- struct{}{} }})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/other2", "barrier"))
	recv(t, other)
	assert.Empty(t, handled, "a message handled twice")
}

// A handler that calls Unsubscribe for its own subscription does not
// deadlock: Unsubscribe does not wait for the handover, which goes on once
// the handler returns, and hands the handler the auto-ack messages
// received before, in order.
func TestAHandlerThatUnsubscribesItsOwnSubscriptionGetsTheRestAndReturns(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 5
	start := make(chan struct{})
	unsubscribed := make(chan error, 1)
	handled := make(chan string, n)
	var id string
	idSet := make(chan struct{})
	var err error
	id, err = s.SubscribeWith(context.Background(), "/queue/self", SubscribeOptions{
		Handler: func(ev *MessageInEvent) {
			if ev.Text() == "0" {
				<-start
				<-idSet
				unsubscribed <- s.Unsubscribe(id)
			}
			handled <- ev.Text()
		},
	})
	require.NoError(t, err)
	close(idSet)
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/self", strconv.Itoa(i)))
	}
	waitFor(t, "every message received by the client", func() bool { return s.Stats().MessagesIn == n })
	close(start)
	require.NoError(t, recv(t, unsubscribed), "Unsubscribe from the subscription's own handler")
	var got []string
	for range n {
		got = append(got, recv(t, handled))
	}
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, got)
	assert.Zero(t, s.Stats().Dropped)
	assert.Empty(t, s.Subscriptions())
}

// Messages that need an ACK are not handled once Unsubscribe ended their
// subscription (the one being handled finishes): the broker delivers them
// again to another subscription, and Stats.Dropped counts them here.
func TestUnsubscribeLeavesTheMessagesThatNeedAnAckToTheBroker(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 5
	hold := make(chan struct{})
	handled := make(chan string, n)
	id, err := s.SubscribeWith(context.Background(), "/queue/acked", SubscribeOptions{
		AckMode: AckClientIndividual,
		Handler: func(ev *MessageInEvent) {
			if ev.Text() == "0" {
				<-hold
			}
			handled <- ev.Text()
		},
	})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/acked", strconv.Itoa(i)))
	}
	waitFor(t, "every message received by the client", func() bool { return s.Stats().MessagesIn == n })
	require.NoError(t, s.Unsubscribe(id))
	close(hold)
	assert.Equal(t, "0", recv(t, handled))
	waitFor(t, "the four not handled to be counted dropped", func() bool { return s.Stats().Dropped == n-1 })
	// Another subscription gets them from the broker. (So does it "0",
	// whose ACK, written when its handler returned, came after the
	// UNSUBSCRIBE that gave it back to the queue.)
	again := make(chan string, n)
	_, err = s.SubscribeWith(context.Background(), "/queue/acked", SubscribeOptions{AckMode: AckClientIndividual, Handler: func(ev *MessageInEvent) { again <- ev.Text() }})
	require.NoError(t, err)
	redelivered := map[string]bool{}
	for !(redelivered["1"] && redelivered["2"] && redelivered["3"] && redelivered["4"]) {
		redelivered[recv(t, again)] = true
	}
	assert.Empty(t, handled, "a message of the ended subscription was handled")
}

// A Disconnect while an Unsubscribe's handover is under way waits for it
// (bounded by DisconnectTimeout), as for the live subscriptions: the
// handler gets every auto-ack message received, none is dropped.
func TestDisconnectWaitsForAnUnsubscribesHandover(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 5
	first := make(chan struct{})
	hold := make(chan struct{})
	handled := make(chan string, n)
	id, err := s.SubscribeWith(context.Background(), "/queue/auto", SubscribeOptions{
		Handler: func(ev *MessageInEvent) {
			if ev.Text() == "0" {
				close(first)
				<-hold
			}
			handled <- ev.Text()
		},
	})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/auto", strconv.Itoa(i)))
	}
	waitFor(t, "every message received by the client", func() bool { return s.Stats().MessagesIn == n })
	recv(t, first)
	require.NoError(t, s.Unsubscribe(id))
	disconnecting := make(chan struct{})
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
		if e.ConnectionEvent == "disconnecting" {
			close(disconnecting)
		}
	})
	done := make(chan error, 1)
	go func() { done <- s.Disconnect() }()
	recv(t, disconnecting)
	close(hold)
	require.NoError(t, recv(t, done))
	var got []string
	for len(handled) > 0 {
		got = append(got, <-handled)
	}
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, got, "Disconnect returned before the handover ended")
	assert.Zero(t, s.Stats().Dropped)
}
