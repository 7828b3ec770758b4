package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reference's SelectWaitMillis is how long DoEvents waits when there
// is no event for it to process (20 ms by default). With ProcessIdleEvents
// true (the default) DoEvents never has one, and a program ported with
// its event loop (for !done { s.DoEvents() }) relies on that wait to not
// spin: each call waits SelectWaitMillis when nothing happens. (A lower
// bound only: the wait must happen; how much longer a loaded machine takes
// is not this test's business.)
func TestDoEventsWaitsSelectWaitMillisWhenIdle(t *testing.T) {
	s := newClient(t) // ProcessIdleEvents true, SelectWaitMillis 20
	v, err := s.Config("SelectWaitMillis")
	require.NoError(t, err)
	require.Equal(t, "20", v)
	const calls = 10
	start := time.Now()
	for range calls {
		require.NoError(t, s.DoEvents())
	}
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, calls*15*time.Millisecond,
		"%d DoEvents calls with nothing to process took %v: each returned at once, not after SelectWaitMillis", calls, elapsed)
}

// Close ends DoEvents' wait in automatic mode: it returns ErrClosed
// (SelectWaitMillis is an hour here).
func TestDoEventsInAutomaticModeReturnsAtClose(t *testing.T) {
	s := newClient(t, WithSelectWait(time.Hour))
	returned := make(chan error, 1)
	go func() { returned <- s.DoEvents() }()
	s.Close()
	assert.ErrorIs(t, recv(t, returned), ErrClosed)
}

// Called from an event handler of the client, on the event goroutine,
// DoEvents cannot see another event handled while it waits (the goroutine
// that would handle it is the caller's): it returns at once rather than
// hold every later event back (SelectWaitMillis is an hour here).
func TestDoEventsInAutomaticModeFromAnEventHandlerReturnsAtOnce(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithSelectWait(time.Hour))
	returned := make(chan error, 1)
	s.OnSubscribed(func(*SubscribedEvent) { returned <- s.DoEvents() })
	_, err := s.Subscribe("/queue/doevents", false)
	require.NoError(t, err)
	require.NoError(t, recv(t, returned))
}

// A MessageIn handler does not run on the event goroutine: its DoEvents
// waits as any other, and an event handled meanwhile ends the wait
// (SelectWaitMillis is an hour here).
func TestDoEventsInAutomaticModeFromAMessageHandlerWakesOnAnEvent(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithSelectWait(time.Hour))
	s.OnMessageOut(func(*MessageOutEvent) {})
	returned := make(chan error, 1)
	s.OnMessageIn(func(*MessageInEvent) { returned <- s.DoEvents() })
	_, err := s.Subscribe("/queue/doevents-in", false)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/doevents-in", "x"))
	var got error
	waitFor(t, "DoEvents in the MessageIn handler to return", func() bool {
		select {
		case got = <-returned:
			return true
		default:
		}
		require.NoError(t, s.SendMessage("/queue/doevents-other", "y"))
		return false
	})
	require.NoError(t, got)
}
