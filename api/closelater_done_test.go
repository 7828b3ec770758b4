package api

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Close's doc: "Close is idempotent: a later Close, one made while another
// is under way included, waits as the first does." Here the first
// CloseContext ends at its bound with a MessageIn handler still blocked
// (ErrTimeout), and a later Close from the test's goroutine (no handler)
// must wait for that handler too. It does not when a SendMessageAsync
// done of the client happens to be running meanwhile (on the connection's
// runner): the later Close returns at once, with the handler running.
func TestALaterCloseWaitsForTheHandlerWhileADoneRuns(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	c := newClient(t, WithRequestReceipts(true))
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	releaseDone := make(chan struct{})
	var once, onceDone sync.Once
	unblock := func() {
		once.Do(func() { close(release) })
		onceDone.Do(func() { close(releaseDone) })
	}
	t.Cleanup(unblock)
	var handlerReturned atomic.Bool
	c.OnMessageIn(func(*MessageInEvent) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		handlerReturned.Store(true)
	})
	require.NoError(t, c.Connect(h, p))
	_, err := c.Subscribe("/queue/r20-later", false)
	require.NoError(t, err)
	require.NoError(t, c.SendMessage("/queue/r20-later", "x"))
	recv(t, entered)

	inDone := make(chan struct{})
	require.NoError(t, c.SendMessageAsync(context.Background(), "/queue/r20-later-other", "y", func(error) {
		close(inDone)
		<-releaseDone
	}))
	recv(t, inDone)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.CloseContext(ctx), ErrTimeout, "the first CloseContext waits for the blocked handler")

	later := make(chan bool, 1)
	go func() {
		c.Close()
		later <- handlerReturned.Load()
	}()
	select {
	case done := <-later:
		require.True(t, done, "a later Close returned while the MessageIn handler was still running")
	case <-time.After(time.Second):
		// Still waiting, as promised: let everything go and it returns.
		unblock()
		require.True(t, recv(t, later))
	}
}
