package api

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// A handler that ends its goroutine (runtime.Goexit, which t.FailNow does
// when a test's handler calls it) is reported like a panic: its message
// is NACKed, the subscription goes on with the next ones, and Close
// returns.
func TestAHandlerThatEndsItsGoroutineIsReportedAndTheSubscriptionGoesOn(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	var calls atomic.Int32
	after := make(chan string, 2)
	_, err := s.SubscribeWith(context.Background(), "/queue/goexit", SubscribeOptions{AckMode: AckClientIndividual, Handler: func(e *MessageInEvent) {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		after <- string(e.Data)
	}})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/goexit", "first"))
	waitFrame(t, b, 1, frames.CmdNack)
	assert.Contains(t, recv(t, errs).Description, "ended its goroutine")
	require.NoError(t, s.SendMessage("/queue/goexit", "second"))
	// The NACKed message comes again (the simulator redelivers it).
	assert.ElementsMatch(t, []string{"first", "second"}, []string{recv(t, after), recv(t, after)})
	closesWithin(t, s, 10*time.Second)
}

// An event handler that ends its goroutine is reported, and the events
// after it still run.
func TestAnEventHandlerThatEndsItsGoroutineDoesNotStopTheEvents(t *testing.T) {
	b := newBroker(t)
	s := newClient(t)
	s.OnConnected(func(*ConnectedEvent) { runtime.Goexit() })
	subscribed := collect(s.OnSubscribed)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	_, err := s.Subscribe("/queue/after-goexit", false)
	require.NoError(t, err)
	recv(t, subscribed)
	closesWithin(t, s, 10*time.Second)
}

// closesWithin fails the test if Close has not returned within d.
func closesWithin(t *testing.T, s *STOMP, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close did not return within %v", d)
	}
}

// In the manual mode the handler runs inside DoEvents: one that ends the
// caller's goroutine is reported and its message NACKed, and the next
// DoEvents runs the events after it.
func TestAHandlerThatEndsDoEventsGoroutineLeavesTheRestForTheNext(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2", WithManualEvents(), WithSelectWait(5*time.Millisecond))
	errs := collect(s.OnError)
	var calls atomic.Int32
	var handled []string // appended only inside DoEvents, on one goroutine at a time
	_, err := s.SubscribeWith(context.Background(), "/queue/manual-goexit", SubscribeOptions{AckMode: AckClientIndividual, Handler: func(e *MessageInEvent) {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		handled = append(handled, string(e.Data))
	}})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/manual-goexit", "first"))
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			if err := s.DoEvents(); err != nil {
				return
			}
		}
	}()
	recv(t, exited) // the handler ended the goroutine running DoEvents
	require.NoError(t, s.SendMessage("/queue/manual-goexit", "second"))
	doEventsUntil(t, s, "the messages after it", func() bool { return len(handled) == 2 })
	assert.ElementsMatch(t, []string{"first", "second"}, handled, "the NACKed message comes again")
	waitFrame(t, b, 1, frames.CmdNack)
	doEventsUntil(t, s, "the error", func() bool { return len(errs) > 0 })
	assert.Contains(t, (<-errs).Description, "ended its goroutine")
	closesWithin(t, s, 10*time.Second)
}
