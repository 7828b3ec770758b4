package api

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Messages of a client-ack handler subscription that wait behind its
// blocked handler when Close ends the connection are received
// (MessagesIn) and never handled (the broker redelivers them): they are
// counted in Stats.Dropped by the time Close returns, as auto-ack ones
// are (TestCloseCountsALiveSubscriptionsQueuedAutoAckMessagesDropped).
// Before, they were skipped uncounted unless the subscription's actor
// happened to reach them before the route's end (soak review, F3).
func TestCloseCountsClientAckMessagesQueuedBehindAHandlerDropped(t *testing.T) {
	for _, mode := range []AckMode{AckClientIndividual, AckClient} {
		t.Run(string(mode), func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2")
			hold := make(chan struct{})
			started := make(chan struct{})
			returned := make(chan struct{})
			handled := make(chan string, 20)
			_, err := s.SubscribeWith(context.Background(), "/queue/dca-close", SubscribeOptions{ID: "x", AckMode: mode, Handler: func(ev *MessageInEvent) {
				if ev.Text() == "0" {
					defer close(returned)
					close(started)
					<-hold
				}
				handled <- ev.Text()
			}})
			require.NoError(t, err)
			for i := range 3 {
				require.NoError(t, s.SendMessage("/queue/dca-close", strconv.Itoa(i)))
			}
			waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
			recv(t, started)
			closeWhileHandlerBlocked(t, s)
			// The two behind the blocked handler, before it returns.
			assert.EqualValues(t, 2, s.Stats().Dropped, "counted dropped when Close returned")
			close(hold)
			recv(t, returned)
			handledOrDropped(t, s, handled)
		})
	}
}

// The same with a Disconnect whose wait for the blocked handler times
// out.
func TestDisconnectTimeoutCountsClientAckMessagesQueuedBehindAHandlerDropped(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithDisconnectTimeout(300e6))
	hold := make(chan struct{})
	started := make(chan struct{})
	handled := make(chan string, 20)
	_, err := s.SubscribeWith(context.Background(), "/queue/dca-disc", SubscribeOptions{ID: "x", AckMode: AckClientIndividual, Handler: func(ev *MessageInEvent) {
		if ev.Text() == "0" {
			close(started)
			<-hold
		}
		handled <- ev.Text()
	}})
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, s.SendMessage("/queue/dca-disc", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
	recv(t, started)
	_ = s.Disconnect() // times out on the blocked handler
	close(hold)
	handledOrDropped(t, s, handled)
	s.Close()
}
