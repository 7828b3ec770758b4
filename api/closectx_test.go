package api

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/stompactor/stompactor/actors"
)

// A handler blocked on a channel holds Close without end; CloseContext
// returns when its context ends, with the library's typed error, the
// client closed for every other purpose; once the handler returns, every
// goroutine of the client ends.
func TestCloseContextBoundsTheWaitForAStuckHandler(t *testing.T) {
	for _, tt := range []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		want   error
		ctxErr error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, ErrTimeout, context.DeadlineExceeded},
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, ErrCanceled, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			b := newBroker(t)
			eng := actors.NewEngine(actors.EngineOptions{})
			s := connectTo(t, b, "1.2", WithEngine(eng))
			entered := make(chan struct{})
			release := make(chan struct{})
			s.OnDisconnected(func(*DisconnectedEvent) {
				close(entered)
				<-release
			})
			ctx, cancel := tt.ctx()
			defer cancel()
			err := s.CloseContext(ctx)
			recv(t, entered)
			require.ErrorIs(t, err, tt.want)
			require.ErrorIs(t, err, tt.ctxErr, "the context's error is the cause")
			var e *Error
			require.True(t, errors.As(err, &e))

			// Closed for every other purpose: the connection is gone and
			// every call says so.
			waitFor(t, "the broker to lose the connection", func() bool { return len(b.Connections()) == 0 })
			assert.False(t, s.Connected())
			assert.ErrorIs(t, s.SendMessage("/queue/closed", "x"), ErrClosed)
			assert.ErrorIs(t, s.Send(context.Background(), "/queue/closed", nil, SendOptions{}), ErrClosed)
			_, err = s.Subscribe("/queue/closed", false)
			assert.ErrorIs(t, err, ErrClosed)
			h, p := hostPort(t, b.Addr())
			assert.ErrorIs(t, s.Connect(h, p), ErrClosed)
			assert.ErrorIs(t, s.DoEvents(), ErrClosed)
			// A later CloseContext, from a goroutine that is no
			// handler, waits for the handler too, within its context;
			// once the handler returned, a Close returns nil.
			later, cancelLater := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancelLater()
			require.ErrorIs(t, s.CloseContext(later), ErrTimeout)
			close(release)
			require.NoError(t, s.CloseContext(context.Background()))

			waitFor(t, "the engine to have no connection", func() bool { return eng.Connections() == 0 })
			require.NoError(t, eng.Close())
			require.NoError(t, b.Close())
			goleak.VerifyNone(t, ignore)
		})
	}
}

// CloseContext of a client with nothing to wait for is Close: nil, and
// a client never connected closes as well.
func TestCloseContextWithNothingToWaitFor(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	disconnected := collect(s.OnDisconnected)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, s.CloseContext(ctx))
	recv(t, disconnected)
	assert.ErrorIs(t, s.SendMessage("/queue/x", "x"), ErrClosed)
	require.NoError(t, NewSTOMP().CloseContext(ctx))
	done, stop := context.WithCancel(context.Background())
	stop()
	require.NoError(t, NewSTOMP().CloseContext(done), "nothing to wait for: even an ended context is not an error")
}

// Like Close, CloseContext called from inside a handler does not wait for
// that handler, and it does not wait for a Credentials callback that
// ignores its context: neither is a reason to return an error.
func TestCloseContextKeepsClosesContract(t *testing.T) {
	t.Run("from a handler", func(t *testing.T) {
		b := newBroker(t)
		s := connectTo(t, b, "1.2")
		result := make(chan error, 1)
		_, err := s.SubscribeWith(context.Background(), "/queue/close-ctx-in-handler", SubscribeOptions{Handler: func(*MessageInEvent) {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			result <- s.CloseContext(ctx)
		}})
		require.NoError(t, err)
		p := connectTo(t, b, "1.2")
		require.NoError(t, p.SendMessage("/queue/close-ctx-in-handler", "x"))
		require.NoError(t, recv(t, result))
		assert.ErrorIs(t, s.SendMessage("/queue/x", "x"), ErrClosed)
	})
	t.Run("hung credentials", func(t *testing.T) {
		b := newBroker(t)
		hang := make(chan struct{})
		defer close(hang)
		asked := make(chan struct{}, 8)
		var calls atomic.Int64
		s := connectTo(t, b, "1.2", WithTimeout(time.Second),
			WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
			WithCredentials(func(ctx context.Context, server string) (string, string, error) {
				if calls.Add(1) == 1 {
					return "u", "p", nil
				}
				asked <- struct{}{}
				<-hang
				return "u", "p", nil
			}))
		require.NoError(t, b.CloseConnection(1))
		recv(t, asked)
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		require.NoError(t, s.CloseContext(ctx))
	})
}

// A connected client with no handler running, closed with a context that
// has already ended, closes without error: only user code can hold Close
// for long, and none ran.
func TestCloseContextWithNoHandlerAndAnEndedContext(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	done, stop := context.WithCancel(context.Background())
	stop()
	require.NoError(t, s.CloseContext(done), "no handler ran: nothing was cut short")
}
