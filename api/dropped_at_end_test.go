package api

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Review 15, finding 3: a Subscribe with the id of a running handover makes a
// successor whose actor holds back its messages until the handover ends
// (fix-r14-consumer). When the connection ends for good meanwhile (here a
// Disconnect whose wait for the predecessor's blocked handler times out),
// the successor's held-back auto-ack message, which the broker counted
// consumed and MessagesIn counts, is neither handled nor counted in
// Stats.Dropped ("what the connection's end cut short"): the replay that
// predecessorEnded starts finds the route ended and skips it silently
// (skipsAfterEnd on its own route). Every message received must end up
// handled or counted dropped.
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
	var got []string
	waitFor(t, "every message handled or counted dropped", func() bool {
		for len(handled) > 0 {
			got = append(got, <-handled)
		}
		st := s.Stats()
		return st.MessagesIn == int64(len(got))+st.Dropped
	})
	st := s.Stats()
	assert.EqualValues(t, st.MessagesIn, int64(len(got))+st.Dropped,
		"every message received is handled or counted dropped: MessagesIn %d, handled %v, Dropped %d", st.MessagesIn, got, st.Dropped)
}

// Review 15, the same root without a handover: a Disconnect whose wait
// for a blocked handler times out ends the connection for good; the
// auto-ack messages queued behind that handler (counted consumed by the
// broker, counted in MessagesIn) are skipped once it returns, and neither
// handled nor counted in Stats.Dropped.
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
	var got []string
	waitFor(t, "every message handled or counted dropped", func() bool {
		for len(handled) > 0 {
			got = append(got, <-handled)
		}
		st := s.Stats()
		return st.MessagesIn == int64(len(got))+st.Dropped
	})
	st := s.Stats()
	assert.EqualValues(t, st.MessagesIn, int64(len(got))+st.Dropped,
		"every message received is handled or counted dropped: MessagesIn %d, handled %v, Dropped %d", st.MessagesIn, got, st.Dropped)
}

// Review 15, the same with Close: Close during a live subscription's
// blocked handler counts, for a handover, what it cuts short
// (fix-r14-consumer), but not for the live subscription itself: its
// queued auto-ack messages are skipped uncounted.
func TestCloseCountsALiveSubscriptionsQueuedAutoAckMessagesDropped(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	hold := make(chan struct{})
	returned := make(chan struct{})
	handled := make(chan string, 20)
	_, err := s.SubscribeWith(context.Background(), "/queue/r15c", SubscribeOptions{ID: "x", Handler: func(ev *MessageInEvent) {
		if ev.Text() == "0" {
			defer close(returned)
			<-hold
		}
		handled <- ev.Text()
	}})
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, s.SendMessage("/queue/r15c", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
	s.Close()
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
