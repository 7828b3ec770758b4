package actors

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
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
