package api

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
)

// Close may be called from inside a handler: it returns, and everything
// still stops (goleak checks the goroutines at the end of the package).
func TestCloseFromInsideHandlers(t *testing.T) {
	b := newBroker(t)
	t.Run("OnMessageIn", func(t *testing.T) {
		s := connectTo(t, b, "1.2")
		closed := make(chan struct{})
		s.OnMessageIn(func(*MessageInEvent) {
			s.Close()
			close(closed)
		})
		_, err := s.Subscribe("/queue/close-in-handler", false)
		if err != nil {
			t.Fatal(err)
		}
		p := connectTo(t, b, "1.2")
		if err := p.SendMessage("/queue/close-in-handler", "x"); err != nil {
			t.Fatal(err)
		}
		recv(t, closed)
	})
	t.Run("OnDisconnected", func(t *testing.T) {
		s := connectTo(t, b, "1.2")
		closed := make(chan struct{})
		s.OnDisconnected(func(*DisconnectedEvent) {
			s.Close()
			close(closed)
		})
		if err := s.Disconnect(); err != nil {
			t.Fatal(err)
		}
		recv(t, closed)
	})
}

// Close called from a handler that runs on the goroutine draining the
// manual-mode queue (after ProcessIdleEvents is turned back on) returns
// instead of waiting for that goroutine, that is for itself.
func TestCloseFromLeftoverHandler(t *testing.T) {
	b := newBroker(t)
	// LogLevel 0: no log events; after Subscribed the engine is silent.
	s := connectTo(t, b, "1.2", WithManualEvents(), WithLogLevel(0))
	subscribed := collect(s.OnSubscribed)
	closed := make(chan struct{})
	dest := "/queue/review-leftover"
	_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{Handler: func(*MessageInEvent) {
		s.Close()
		close(closed)
	}})
	require.NoError(t, err)
	// Run the events of connecting and subscribing, so that only the
	// message will wait in the queue.
	for len(subscribed) == 0 {
		require.NoError(t, s.DoEvents())
	}
	require.Zero(t, s.events.Load().waiting())
	other := connectTo(t, b, "1.2")
	require.NoError(t, other.SendMessage(dest, "hello"))
	waitFor(t, "the message queued", func() bool { return s.events.Load().waiting() > 0 })
	_, err = s.Config("ProcessIdleEvents=true")
	require.NoError(t, err)
	recv(t, closed)
}

// A call that does not wait and loses the race with Close (it found the
// client open and took the queue of calls, then Close closed that queue
// before the call was posted) reports ErrClosed, not a full queue.
func TestACallThatLosesTheRaceWithCloseIsClosed(t *testing.T) {
	s := NewSTOMP()
	q := s.callQueue()
	require.NotNil(t, q)
	s.Close()
	err := s.postCall(q, asyncOp{name: "SendMessage", ctx: context.Background(), fn: func(context.Context) error { return nil }, def: CodeOther})
	require.ErrorIs(t, err, ErrClosed)
	require.NotErrorIs(t, err, ErrWouldBlock)
}

// A second Close, made while the first is still closing, returns only
// once the client is closed, as the first does: the connection is closed
// and calls are refused. (It returned at once, before either.)
func TestASecondCloseReturnsOnceTheClientIsClosed(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	var disconnected atomic.Bool
	s.OnDisconnected(func(*DisconnectedEvent) { disconnected.Store(true) })
	first := make(chan struct{})
	go func() { s.Close(); close(first) }()
	// Close the second time the moment the first has begun.
	for closing := false; !closing; runtime.Gosched() {
		s.mu.Lock()
		closing = s.closed
		s.mu.Unlock()
	}
	s.Close()
	require.Equal(t, actors.Disconnected, s.eng.State(), "the second Close returned before the connection was closed")
	require.ErrorIs(t, s.SendMessage("/queue/after-close", "x"), ErrClosed)
	recv(t, first)
	// The events of closing run too, if not before the second Close
	// returned (it may return while an event handler runs, as the first).
	waitFor(t, "OnDisconnected", disconnected.Load)
}

// Close does not wait for a Credentials callback that ignores its
// context (a token fetch that hangs, while a reconnect asks for a
// passcode): it ends the attempt and returns; what the callback returns
// later is dropped.
func TestCloseDoesNotWaitForAHungCredentialsCallback(t *testing.T) {
	b := newBroker(t)
	hang := make(chan struct{})
	defer close(hang)
	var calls atomic.Int64
	s := connectTo(t, b, "1.2", WithTimeout(time.Second),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
		WithCredentials(func(ctx context.Context, server string) (string, string, error) {
			if calls.Add(1) == 1 {
				return "u", "p", nil
			}
			<-hang
			return "u", "p", nil
		}))
	require.NoError(t, b.CloseConnection(1))
	waitFor(t, "the reconnect to ask for credentials", func() bool { return calls.Load() >= 2 })
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	recv(t, closed)
}
