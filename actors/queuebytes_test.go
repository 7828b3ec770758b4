package actors

import (
	"strings"
	"sync"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

const mib = 1 << 20

// bigMessages answers SUBSCRIBE with n MESSAGE frames of size bytes each.
func bigMessages(t *testing.T, n, size int) *scriptedServer {
	body := strings.Repeat("x", size)
	srv, _ := newBroker(t, connectedFrame("1.2"), onSubscribe(func(f *frames.Frame) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(message(frames.V12, f.Header("id"), "m"+itoa(i), f.Header("destination"), body))
		}
		return b.String()
	}))
	return srv
}

// heldHandler returns a handler that holds each message until step lets
// it go; at cleanup every message is let go.
func heldHandler(t *testing.T) (handler func(Message) AckAction, step chan struct{}) {
	step = make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	return func(Message) AckAction {
		select {
		case <-step:
		case <-release:
		}
		return AckAck
	}, step
}

// paused reports whether c's reader waits for room in a subscription's
// queue, and how many messages the subscription received.
func paused(c *Conn) (bool, int64) {
	l := c.link.Load()
	subs := c.Subscriptions()
	if l == nil || len(subs) != 1 {
		return false, 0
	}
	return l.stats.readPaused.Load(), subs[0].Delivered
}

func waitPaused(t *testing.T, c *Conn, delivered int64) {
	t.Helper()
	waitFor(t, "the reader to wait with "+itoa(int(delivered))+" messages delivered", func() bool {
		p, n := paused(c)
		return p && n == delivered
	})
}

// A queue of 100 messages bounded to 2.5 MiB takes two messages of 1 MiB
// (the one in the handler counts until it returns); the reader then waits
// for bytes, not slots, and goes on as each handler returns.
func TestQueueBytesBoundStopsTheReader(t *testing.T) {
	srv := bigMessages(t, 4, mib)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	h, step := heldHandler(t)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/big", QueueSize: 100, QueueBytes: 5 * mib / 2, Handler: h})
	require.NoError(t, err)
	waitPaused(t, c, 2)
	rt := c.routes.Load().list[0]
	require.LessOrEqual(t, rt.bytes.Load(), int64(5*mib/2))
	step <- struct{}{}
	waitPaused(t, c, 3)
	step <- struct{}{}
	waitFor(t, "the fourth message", func() bool { _, n := paused(c); return n == 4 })
	step <- struct{}{}
	step <- struct{}{}
	waitFor(t, "every byte given back", func() bool { return rt.bytes.Load() == 0 })
}

// A message larger than the whole bound is still taken, alone.
func TestQueueBytesTakesALargerMessageAlone(t *testing.T) {
	srv := bigMessages(t, 3, mib)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	h, step := heldHandler(t)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/big", QueueBytes: mib / 2, Handler: h})
	require.NoError(t, err)
	waitPaused(t, c, 1)
	step <- struct{}{}
	waitPaused(t, c, 2)
	step <- struct{}{}
	waitFor(t, "the third message", func() bool { _, n := paused(c); return n == 3 })
}

// FullDrop drops what does not fit in bytes; FullError ends the
// connection with ErrQueueFull.
func TestQueueBytesOtherPolicies(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		srv := bigMessages(t, 3, mib)
		c, _ := newTestClient(t, ConnOptions{})
		connectTo(t, c, srv.addr(), ConnectConfig{})
		h, _ := heldHandler(t)
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/big", QueueBytes: 3 * mib / 2, OnFull: FullDrop, Handler: h})
		require.NoError(t, err)
		waitFor(t, "two messages dropped", func() bool { return c.Stats().Dropped == 2 })
		_, n := paused(c)
		require.Equal(t, int64(1), n)
	})
	t.Run("error", func(t *testing.T) {
		srv := bigMessages(t, 3, mib)
		c, rec := newTestClient(t, ConnOptions{})
		connectTo(t, c, srv.addr(), ConnectConfig{})
		h, _ := heldHandler(t)
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/big", QueueBytes: 3 * mib / 2, OnFull: FullError, Handler: h})
		require.NoError(t, err)
		require.ErrorIs(t, waitEvent[*DisconnectedEvent](t, rec, nil).Err, ErrQueueFull)
	})
}
