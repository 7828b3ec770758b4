package api

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/actors"
)

// A call to client B waits for the handlers of the events it caused, and
// Close of B for B's running handlers, unless the caller is a handler:
// one is recognised by its frames on the caller's stack, which do not say
// whose it is. So, while a MessageIn handler of B runs (on a goroutine of
// its own):
//   - from a goroutine that is no handler, B.Subscribe waits for B's
//     OnSubscribed, and B.CloseContext for B's handler, within its
//     context;
//   - from a MessageIn handler of another client A (a bridge), B.Subscribe
//     does not wait for B's OnSubscribed, as documented (README, the
//     package's "Events"): it returns at once, not at its Timeout.
func TestACallFromAnotherClientsHandlerIsTakenForAHandlersOnlyWhileOneRuns(t *testing.T) {
	eng := actors.NewEngine(actors.EngineOptions{})
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())

	const timeout = 10 * time.Second
	bc := newClient(t, WithEngine(eng), WithTimeout(timeout))
	bEntered := make(chan struct{}, 1)
	bRelease := make(chan struct{})
	t.Cleanup(func() { close(bRelease) })
	bc.OnMessageIn(func(*MessageInEvent) {
		select {
		case bEntered <- struct{}{}:
		default:
		}
		<-bRelease
	})
	var noted atomic.Bool
	var gate atomic.Pointer[chan struct{}] // nil: the handler takes 300 ms
	bc.OnSubscribed(func(*SubscribedEvent) {
		if g := gate.Load(); g != nil {
			<-*g
		} else {
			time.Sleep(300 * time.Millisecond) // a handler that takes its time
		}
		noted.Store(true)
	})
	require.NoError(t, bc.Connect(h, p))
	_, err := bc.Subscribe("/queue/b-busy", false)
	require.NoError(t, err)
	require.True(t, noted.Load(), "control: with no handler running, Subscribe waits for OnSubscribed")
	require.NoError(t, bc.SendMessage("/queue/b-busy", "x"))
	recv(t, bEntered)

	// B's handler runs: from the test's goroutine, Subscribe waits all
	// the same.
	noted.Store(false)
	_, err = bc.Subscribe("/queue/b-second", false)
	require.NoError(t, err)
	require.True(t, noted.Load(), "from a goroutine that is no handler, Subscribe waits for OnSubscribed while a MessageIn handler of B runs")

	// From A's handler: B.Subscribe is taken for a call from a handler
	// of B's and returns at once; OnSubscribed runs afterwards.
	ac := newClient(t, WithEngine(eng))
	type outcome struct {
		err   error
		noted bool
		took  time.Duration
	}
	res := make(chan outcome, 1)
	ac.OnMessageIn(func(*MessageInEvent) {
		st := time.Now()
		_, err := bc.Subscribe("/queue/b-third", false)
		res <- outcome{err, noted.Load(), time.Since(st)}
	})
	g := make(chan struct{})
	gate.Store(&g)
	noted.Store(false)
	require.NoError(t, ac.Connect(h, p))
	_, err = ac.Subscribe("/queue/a-in", false)
	require.NoError(t, err)
	require.NoError(t, ac.SendMessage("/queue/a-in", "go"))
	o := recv(t, res)
	close(g)
	require.NoError(t, o.err)
	t.Logf("B.Subscribe from A's handler returned after %v; B's OnSubscribed had run: %v", o.took, o.noted)
	require.False(t, o.noted, "OnSubscribed is held until the call returned")
	require.Less(t, o.took, timeout/2, "documented: from a handler of another client, while a handler of B runs, the call does not wait")
	waitFor(t, "B's OnSubscribed to run once let go", noted.Load)

	// Close of B from a goroutine that is no handler waits for B's
	// running handler, within its context.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, bc.CloseContext(ctx), ErrTimeout, "CloseContext of B, from no handler, while B's handler runs")
}
