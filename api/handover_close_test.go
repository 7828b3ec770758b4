package api

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// From review 14: Close during an Unsubscribe handover drops the rest.
// They were counted by the actor as it skipped them after its running
// handler returned, which Close does not wait for: Stats read after Close
// said nothing was dropped. Now the session counts them as it halts the
// handover, before Close returns, and the actor's skip counts nothing.
func TestCloseDuringAHandoverCountsTheRestDroppedBeforeItReturns(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 5
	hold := make(chan struct{})
	returned := make(chan struct{})
	var calls atomic.Int32
	id, err := s.SubscribeWith(context.Background(), "/queue/hc", SubscribeOptions{
		Handler: func(ev *MessageInEvent) {
			calls.Add(1)
			if ev.Text() == "0" {
				defer close(returned)
				<-hold
			}
		},
	})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/hc", strconv.Itoa(i)))
	}
	waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == n })
	require.NoError(t, s.Unsubscribe(id))
	// Close waits for the running handler: bounded, it returns with the
	// handler still blocked, and has counted what the handover will not
	// hand on by then.
	closeWhileHandlerBlocked(t, s)
	st := s.Stats()
	assert.EqualValues(t, n-1, st.Dropped, "the messages Close cut short are each counted once in Stats.Dropped (MessagesIn %d, handled %d)", st.MessagesIn, calls.Load())
	close(hold)
	<-returned
	assert.EqualValues(t, 1, calls.Load(), "handled after Close")
	assert.EqualValues(t, n-1, s.Stats().Dropped, "counted twice")
}
