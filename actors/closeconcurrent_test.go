package actors

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// Close, and a second Close racing the first, return without waiting for
// a dialer (or a Credentials callback) that ignores the end of its
// attempt: user code that hangs must not hold Close, nor keep the engine
// from closing. The dial's goroutine ends when the dialer returns, and
// what it brings then is dropped.
func TestConcurrentClosesDoNotWaitForADialerThatIgnoresItsContext(t *testing.T) {
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	entered := make(chan struct{})
	release := make(chan struct{})
	dialerDone := make(chan struct{})
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		defer close(dialerDone)
		close(entered)
		<-release // a dialer that never looks at its context
		return nil, errors.New("released")
	}
	connectErr := make(chan error, 1)
	go func() {
		_, err := c.Connect(context.Background(), ConnectConfig{Addr: "127.0.0.1:1", Dial: dial})
		connectErr <- err
	}()
	recv(t, entered, "the dial")
	firstDone := make(chan struct{})
	go func() { c.Close(); close(firstDone) }()
	c.Close()
	recv(t, firstDone, "the first Close")
	require.Error(t, recv(t, connectErr, "Connect"))
	waitFor(t, "the engine's connections", func() bool { return e.Connections() == 0 && e.Actors() == 0 })
	require.NoError(t, e.Close())
	close(release)
	recv(t, dialerDone, "the dialer")
}

// A Credentials callback that returns after Close (it ignored the end of
// its attempt) does not lead to a dial: no user code runs on behalf of a
// connection closed before it.
func TestNoDialAfterCloseWhenCredentialsReturnLate(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	hang, asked := make(chan struct{}), make(chan struct{})
	var calls, dialsAfterClose atomic.Int64
	var closed atomic.Bool
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if closed.Load() {
			dialsAfterClose.Add(1)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	_, err = c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr(), Dial: dial,
		Reconnect: ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		Credentials: func(ctx context.Context, server string) (string, string, error) {
			if calls.Add(1) == 1 {
				return "", "", nil
			}
			close(asked)
			<-hang // ignores ctx
			return "", "", nil
		}})
	require.NoError(t, err)
	require.NoError(t, b.CloseConnection(1))
	recv(t, asked, "the reconnect's credentials")
	c.Close()
	require.NoError(t, e.Close())
	closed.Store(true)
	close(hang)
	waitFor(t, "the attempt's goroutine to end", func() bool {
		buf := make([]byte, 1<<20)
		return !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "startAttempt.func")
	})
	require.Zero(t, dialsAfterClose.Load(), "the dialer was called after Close returned")
}
