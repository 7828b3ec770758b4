package api

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Subscribe with the id of a running handover makes a successor whose
// actor holds back its messages until the handover ends. When the
// connection ends for good meanwhile (here a Disconnect whose wait for
// the predecessor's blocked handler times out), the successor's held-back
// auto-ack message, which the broker counted consumed and MessagesIn
// counts, is counted in Stats.Dropped: every message received ends up
// handled or counted dropped (review 15, finding 3; it was skipped
// uncounted).
func TestASuccessorsHeldMessageCutShortByTheEndIsCountedDropped(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	hold := make(chan struct{})
	handled := make(chan string, 20)
	h := func(ev *MessageInEvent) {
		if ev.Text() == "0" {
			<-hold
		}
		handled <- ev.SubscriptionID + ":" + ev.Text()
	}
	_, err := s.SubscribeWith(context.Background(), "/queue/r15a", SubscribeOptions{ID: "x", Handler: h})
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, s.SendMessage("/queue/r15a", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
	require.NoError(t, s.Unsubscribe("x"))
	_, err = s.SubscribeWith(context.Background(), "/queue/r15b", SubscribeOptions{ID: "x", Handler: h})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/r15b", "new"))
	waitFor(t, "the successor's message received", func() bool { return s.Stats().MessagesIn == 4 })
	require.NoError(t, s.SetTimeout(500))
	_ = s.Disconnect() // times out on the blocked handler: the connection ends for good
	close(hold)
	s.Close()
	handledOrDropped(t, s, handled)
}

// The same without a handover: a Disconnect whose wait for a blocked
// handler times out ends the connection for good; the auto-ack messages
// queued behind that handler (counted consumed by the broker, counted in
// MessagesIn) are skipped once it returns, and counted in Stats.Dropped
// (review 15; they went uncounted).
func TestAutoAckMessagesCutShortByADisconnectTimeoutAreCountedDropped(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	hold := make(chan struct{})
	handled := make(chan string, 20)
	_, err := s.SubscribeWith(context.Background(), "/queue/r15p", SubscribeOptions{ID: "x", Handler: func(ev *MessageInEvent) {
		if ev.Text() == "0" {
			<-hold
		}
		handled <- ev.Text()
	}})
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, s.SendMessage("/queue/r15p", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
	_ = s.Disconnect() // times out on the blocked handler
	close(hold)
	s.Close()
	handledOrDropped(t, s, handled)
}

// The same with Close: Close during a live subscription's blocked handler
// counts the queued auto-ack messages it cuts short in Stats.Dropped, as
// it does a handover's (review 15; a live subscription's went uncounted).
func TestCloseCountsALiveSubscriptionsQueuedAutoAckMessagesDropped(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	hold := make(chan struct{})
	entered, returned := make(chan struct{}), make(chan struct{})
	handled := make(chan string, 20)
	_, err := s.SubscribeWith(context.Background(), "/queue/r15c", SubscribeOptions{ID: "x", Handler: func(ev *MessageInEvent) {
		if ev.Text() == "0" {
			defer close(returned)
			close(entered)
			<-hold
		}
		handled <- ev.Text()
	}})
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, s.SendMessage("/queue/r15c", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
	// Received is not handled: Close waits only for a handler running.
	recv(t, entered)
	closeWhileHandlerBlocked(t, s)
	close(hold)
	<-returned
	waitFor(t, "every message handled or counted dropped", func() bool {
		st := s.Stats()
		return st.MessagesIn == int64(len(handled))+st.Dropped
	})
	st := s.Stats()
	assert.EqualValues(t, st.MessagesIn, int64(len(handled))+st.Dropped,
		"every message received is handled or counted dropped: MessagesIn %d, handled %d, Dropped %d", st.MessagesIn, len(handled), st.Dropped)
}

// handledOrDropped waits until every message s received was handled (its
// body sent to handled) or counted in Stats.Dropped, and checks it: the
// counts are in the failure, and a count too high fails as one too low.
func handledOrDropped(t *testing.T, s *STOMP, handled chan string) {
	t.Helper()
	var got []string
	deadline := time.Now().Add(wait)
	for {
		for len(handled) > 0 {
			got = append(got, <-handled)
		}
		st := s.Stats()
		if st.MessagesIn == int64(len(got))+st.Dropped {
			return
		}
		if time.Now().After(deadline) {
			assert.Fail(t, "a message received is neither handled nor counted dropped, or counted twice",
				"MessagesIn %d, handled %v, Dropped %d", st.MessagesIn, got, st.Dropped)
			return
		}
		<-time.After(2 * time.Millisecond)
	}
}
