package actors

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// A Lent subscription's messages are whole for as long as their handler
// runs, while the memory of those handled before serves the next: every
// message of a fast stream (small ones carved from shared chunks, larger
// ones in leased buffers) arrives with the headers and body it was sent
// with. Another subscription on the same connection, not lent, may keep
// its messages, which stay intact after their handler returned.
func TestLentMessagesAreWholeWhileHandled(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Addr: b.Addr()})
	const n = 600
	body := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), []int{20, 700, 3000}[i%3]) }
	bad := make(chan string, 1)
	lent, kept := make(chan struct{}, n), make(chan Message, n)
	check := func(m Message) string {
		i, err := strconv.Atoi(m.Headers.Value("x-n"))
		switch {
		case err != nil:
			return "x-n " + strconv.Quote(m.Headers.Value("x-n"))
		case string(m.Body) != body(i):
			return "body of message " + strconv.Itoa(i)
		case m.Destination != "/topic/lent":
			return "destination " + strconv.Quote(m.Destination)
		}
		return ""
	}
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/lent", Lent: true, Handler: func(m Message) AckAction {
		if what := check(m); what != "" {
			select {
			case bad <- what:
			default:
			}
		}
		lent <- struct{}{}
		return AckNone
	}, Receipt: time.Second})
	require.NoError(t, err)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/lent", Handler: func(m Message) AckAction {
		kept <- m
		return AckNone
	}, Receipt: time.Second})
	require.NoError(t, err)
	for i := range n {
		f := frames.New(frames.CmdSend, frames.HdrDestination, "/topic/lent", "x-n", strconv.Itoa(i))
		f.Body = []byte(body(i))
		require.NoError(t, c.Send(testCtx(t), f, 0, false))
	}
	for range n {
		recv(t, lent, "a lent message")
	}
	select {
	case what := <-bad:
		t.Fatalf("a lent message was not whole in its handler: %s", what)
	default:
	}
	for range n {
		m := recv(t, kept, "a kept message")
		require.Empty(t, check(m), "a message kept after its handler")
	}
}

// A Lent handler's message carries no lease of its own: the subscription
// gives the memory back once the handler returned, and a Release in the
// handler (code shared with a Pull loop, say) does nothing. (Before, the
// handler's copy carried the lease: its Release gave the share back a
// second time, and the chunk served new frames while others still lived
// in it.)
func TestLentHandlerReleaseDoesNothing(t *testing.T) {
	c, _ := pullClient(t) // a client on a fresh simulator
	const n = 2000
	body := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 10+i%50) }
	var bad, leased atomic.Int64
	done := make(chan struct{}, n)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/lent-release", Lent: true, Handler: func(m Message) AckAction {
		i, err := strconv.Atoi(m.Headers.Value("x-n"))
		if err != nil || string(m.Body) != body(i) {
			bad.Add(1)
		}
		if m.Lease() != nil {
			leased.Add(1)
		}
		m.Release()
		done <- struct{}{}
		return AckNone
	}, Receipt: time.Second})
	require.NoError(t, err)
	for i := range n {
		f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/lent-release", "x-n", strconv.Itoa(i))
		f.Body = []byte(body(i))
		require.NoError(t, c.Send(testCtx(t), f, 0, false))
	}
	for range n {
		recv(t, done, "a handled message")
	}
	require.Zero(t, leased.Load(), "a handler's message carries no lease")
	require.Zero(t, bad.Load(), "messages corrupted")
}
