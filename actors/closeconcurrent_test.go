package actors

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A second Close racing the first returns, as the first does, once every
// actor and goroutine of the connection stopped (the dial goroutine among
// them).
func TestConcurrentCloseWaitsLikeTheFirst(t *testing.T) {
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	entered := make(chan struct{})
	release := make(chan struct{})
	var released atomic.Bool
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		close(entered)
		<-release // a dialer slow to notice its context
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
	waitFor(t, "the first Close to begin", func() bool {
		select {
		case <-c.closed:
			return true
		default:
			return false
		}
	})
	// Bound the test whatever Close does: the dial is let go after 2 s.
	stop := time.AfterFunc(2*time.Second, func() { released.Store(true); close(release) })
	defer stop.Stop()
	c.Close() // the second Close
	stillDialing := !released.Load()
	if !released.Load() && stop.Stop() {
		released.Store(true)
		close(release)
	}
	recv(t, firstDone, "the first Close")
	recv(t, connectErr, "Connect")
	waitFor(t, "the engine's connections", func() bool { return e.Connections() == 0 && e.Actors() == 0 })
	require.NoError(t, e.Close())
	require.False(t, stillDialing, "the second Close returned while the connection's dial goroutine still ran (Close's contract: every goroutine of the connection stopped)")
}
