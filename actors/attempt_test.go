package actors

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A connection attempt is the context its dial runs under: the connect
// timeout's deadline, ended once, functions registered with
// context.AfterFunc (and contexts derived from it) told when it ends.
func TestDialAttemptIsItsDialsContext(t *testing.T) {
	deadline := time.Now().Add(time.Minute)
	a := &dialAttempt{deadline: deadline}
	var ctx context.Context = a
	d, ok := ctx.Deadline()
	require.True(t, ok)
	require.Equal(t, deadline, d)
	require.NoError(t, ctx.Err())

	ran := make(chan struct{})
	context.AfterFunc(ctx, func() { close(ran) })
	stopped := context.AfterFunc(ctx, func() { t.Error("a stopped function ran") })
	require.True(t, stopped())
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	done := ctx.Done()
	select {
	case <-done:
		t.Fatal("done before the attempt ended")
	default:
	}

	a.end(context.DeadlineExceeded)
	a.end(context.Canceled) // the first end counts
	recv(t, ran, "the function registered with AfterFunc")
	<-done
	<-child.Done()
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	require.ErrorIs(t, context.Cause(child), context.DeadlineExceeded)
	require.False(t, stopped())
	late := make(chan struct{})
	context.AfterFunc(ctx, func() { close(late) })
	recv(t, late, "a function registered after the end")
}

// A Credentials callback that waits on its context is ended by the
// connect timeout, and the attempt fails as timed out.
func TestConnectTimeoutEndsTheAttemptsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	seen := make(chan error, 1)
	c, _ := newTestClient(t, ConnOptions{})
	_, err = c.Connect(testCtx(t), ConnectConfig{Addr: ln.Addr().String(), ConnectTimeout: 50 * time.Millisecond,
		Credentials: func(ctx context.Context, _ string) (string, string, error) {
			<-ctx.Done()
			seen <- ctx.Err()
			return "", "", ctx.Err()
		}})
	require.ErrorIs(t, err, ErrTimeout)
	require.ErrorIs(t, recv(t, seen, "the callback's context to end"), context.DeadlineExceeded)
}
