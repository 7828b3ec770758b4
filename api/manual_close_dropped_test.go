package api

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// In the manual events mode (WithManualEvents: DoEvents runs the MessageIn
// handlers) a message whose handler job still waits in the event queue
// when the client closes is never given to the program: it is counted in
// Stats.Dropped (the handler returns AckNotHandled to the engine), in
// every ack mode, so that MessagesIn is what was handled plus Dropped.
func TestManualEventsMessageWaitingAtCloseIsCountedDropped(t *testing.T) {
	for _, mode := range []AckMode{AckAuto, AckClientIndividual} {
		t.Run(string(mode), func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2", WithManualEvents(), WithLogLevel(0))
			handled := make(chan string, 3)
			dest := "/queue/manual-close-" + string(mode)
			_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{AckMode: mode, Handler: func(ev *MessageInEvent) {
				handled <- ev.Text()
			}})
			require.NoError(t, err)
			other := connectTo(t, b, "1.2")
			for i := range 3 {
				require.NoError(t, other.SendMessage(dest, strconv.Itoa(i)))
			}
			waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
			// The first message's handler job waits for DoEvents, which
			// nobody calls; the client closes.
			waitFor(t, "the first message's job queued", func() bool { return s.events.Load().waiting() > 0 })
			s.Close()
			handledOrDropped(t, s, handled)
		})
	}
}

// A job the subscription gave up as the client closed (counted dropped)
// is skipped by a DoEvents that pops it afterwards: the program is not
// given a message counted dropped.
func TestAbandonedMessageJobIsNotRun(t *testing.T) {
	s := &STOMP{}
	ran := false
	job := &msgJob{ev: &MessageInEvent{}, h: func(*MessageInEvent) { ran = true }, done: make(chan struct{})}
	require.True(t, job.state.CompareAndSwap(jobWaiting, jobAbandoned))
	s.runQueued(queuedEvent{msg: job})
	require.False(t, ran, "the handler of an abandoned job ran")
}
