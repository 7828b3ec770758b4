package api

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
)

// Close and CloseContext called from a goroutine that is not a handler
// (no handler of the client on its stack) wait for the client's MessageIn
// handler that is running: an embedder frees what the handler uses once
// Close returned. CloseContext bounds that wait: with the handler still
// blocked when its context ends, it returns ErrTimeout (wrapping
// context.DeadlineExceeded), not nil at once. Once the handler returned,
// a Close returns nil with the handler done, and the engine, every client
// of which is closed, closes.
func TestCloseFromOutsideWaitsForTheRunningHandler(t *testing.T) {
	eng := actors.NewEngine(actors.EngineOptions{})
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	c := newClient(t, WithEngine(eng))
	entered, unblock, returned := blockingHandler(t, c)
	require.NoError(t, c.Connect(h, p))
	_, err := c.Subscribe("/queue/running", false)
	require.NoError(t, err)
	require.NoError(t, c.SendMessage("/queue/running", "x"))
	recv(t, entered)

	// CloseContext, bounded to a short while, from a goroutine of the
	// test's: the handler is blocked the whole time.
	const bound = 200 * time.Millisecond
	type result struct {
		err  error
		took time.Duration
	}
	closed := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		defer cancel()
		st := time.Now()
		err := c.CloseContext(ctx)
		closed <- result{err, time.Since(st)}
	}()
	r := recv(t, closed)
	t.Logf("CloseContext(%v) returned %v after %v", bound, r.err, r.took)
	require.False(t, returned.Load())
	require.ErrorIs(t, r.err, ErrTimeout, "CloseContext returned before its bound while the handler ran, not called from a handler (took %v)", r.took)
	require.ErrorIs(t, r.err, context.DeadlineExceeded)
	var e *Error
	require.True(t, errors.As(r.err, &e), "a typed error")
	require.GreaterOrEqual(t, r.took, bound, "it waited for its whole bound")

	// A later Close waits for the handler too: it returns once the
	// handler has, and then nothing of the client holds the engine.
	later := make(chan bool, 1)
	go func() {
		c.Close()
		later <- returned.Load()
	}()
	unblock()
	require.True(t, recv(t, later), "Close returned before the running handler did")
	require.NoError(t, eng.Close(), "the engine, once every client's Close returned")
}

// closeWhileHandlerBlocked closes s while one of its handlers is blocked
// until the test lets it go: Close would wait for that handler, so the
// close is bounded, and returns ErrTimeout with the client closed for
// every other purpose; the handler returns once let go.
func closeWhileHandlerBlocked(t *testing.T, s *STOMP) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.CloseContext(ctx), ErrTimeout, "Close waits for the blocked handler")
}

// blockingHandler makes s's OnMessageIn handler block until unblock is
// called (at the test's end at the latest): entered gets a value when a
// message's handler runs, and returned is set once one has returned.
func blockingHandler(t *testing.T, s *STOMP) (entered <-chan struct{}, unblock func(), returned *atomic.Bool) {
	in := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	unblock = func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	returned = new(atomic.Bool)
	s.OnMessageIn(func(*MessageInEvent) {
		select {
		case in <- struct{}{}:
		default:
		}
		<-release
		returned.Store(true)
	})
	return in, unblock, returned
}
