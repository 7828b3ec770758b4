package api

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A call waiting for the handlers of its events stops waiting when
// events turn manual (ProcessIdleEvents false) meanwhile: its marker is
// then left for DoEvents, which the caller's goroutine is usually the one
// to call. Here the very handler the call waits for makes the switch,
// once the marker is queued behind it; Subscribe, bounded by 3 s, returns
// its outcome at once instead of waiting out its bound.
func TestACallWaitingForItsHandlersStopsWhenEventsTurnManual(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	require.NoError(t, s.SetTimeout(3))
	switched := make(chan error, 1) // the handler's Config, or why it made none
	s.OnSubscribed(func(*SubscribedEvent) {
		// Polls (as waitFor does, bounded) until the marker is queued.
		q := s.events.Load()
		deadline := time.After(2 * time.Second)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for q.waiting() == 0 {
			select {
			case <-deadline:
				switched <- errors.New("no marker was queued behind the handler")
				return
			case <-tick.C:
			}
		}
		_, err := s.Config("ProcessIdleEvents=false")
		switched <- err
	})
	start := time.Now()
	_, err := s.Subscribe("/queue/turns-manual", false)
	took := time.Since(start)
	require.NoError(t, err)
	require.NoError(t, recv(t, switched), "the handler's switch to manual events")
	assert.Less(t, took, 1500*time.Millisecond,
		"Subscribe took %v: it waited for its whole bound for a marker that, events being manual now, only DoEvents runs", took)
}
