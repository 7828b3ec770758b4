package actors

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// Unsubscribe hands the auto-ack messages already received to the
// handler after it returned; the connection's end for good (here
// Interrupt) halts that handover: the running handler finishes, the rest
// is skipped and counted in Stats.Dropped, and the actor stops (Close
// returns; newTestClient checks no actor is left).
func TestTheConnectionsEndHaltsAHandoverAndCountsTheRest(t *testing.T) {
	const n = 5
	c, id, hold, handled := heldHandover(t, n)
	require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	c.Interrupt()
	close(hold)
	require.Equal(t, "0", recv(t, handled, "the running handler's message"))
	waitFor(t, "the rest counted dropped", func() bool { return c.Stats().Dropped == n-1 })
	closesWithin(t, c, 10*time.Second)
	require.Empty(t, handled, "a message handled after the connection ended for good")
}

// Without an end, the handover runs to its end and the actor stops by
// itself: the messages received before Unsubscribe are handled in order,
// none is dropped, and the subscription's actor is gone.
func TestAHandoverEndsByItself(t *testing.T) {
	const n = 5
	c, id, hold, handled := heldHandover(t, n)
	pid := c.routes.Load().find(id).pid
	require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	close(hold)
	for i := range n {
		require.Equal(t, itoa(i), recv(t, handled, "a message received before Unsubscribe"))
	}
	waitFor(t, "the subscription's actor to stop", func() bool {
		_, live := c.eng.sys.ProcessRegistry.GetLocal(pid.Id)
		return !live
	})
	require.Zero(t, c.Stats().Dropped)
	require.Equal(t, Connected, c.State())
}

// Unsubscribe in the middle of a stream: every message the client
// received is either handled or counted in Stats.Dropped (the reader's
// batches under way, the ones that come after the route is gone), none
// vanishes, and the subscription's actor stops.
func TestUnsubscribeMidStreamLosesNoMessageUncounted(t *testing.T) {
	b := newSim(t)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	var handled atomic.Int64
	started := make(chan struct{}, 1)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/stream", QueueSize: 64, Handler: func(m Message) AckAction {
		if handled.Add(1) == 100 {
			started <- struct{}{}
		}
		return AckNone
	}})
	require.NoError(t, err)
	pid := c.routes.Load().find(id).pid
	p, _ := newTestClient(t, ConnOptions{})
	connectTo(t, p, b.Addr(), ConnectConfig{})
	const n = 3000
	ctx := testCtx(t)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for range n {
			f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/stream")
			f.Body = []byte("m")
			if p.Send(ctx, f, 0, false) != nil {
				return
			}
		}
	}()
	defer func() { <-published }()
	recv(t, started, "the stream under way")
	require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	waitFor(t, "every message received handled or counted dropped", func() bool {
		d, _ := b.Destination("/queue/stream")
		in := c.Stats().MessagesIn
		return in == int64(d.Delivered) && handled.Load()+c.Stats().Dropped == in
	})
	waitFor(t, "the subscription's actor to stop", func() bool {
		_, live := c.eng.sys.ProcessRegistry.GetLocal(pid.Id)
		return !live
	})
	t.Logf("received %d, handled %d, dropped %d", c.Stats().MessagesIn, handled.Load(), c.Stats().Dropped)
}

// heldHandover connects a client to a simulator, subscribes a handler
// that holds on to message "0" until hold is closed, and publishes n
// messages: it returns once the client received all of them and the
// handler holds the first. handled gets each message's body as its
// handler returns.
func heldHandover(t *testing.T, n int) (c *Conn, id string, hold chan struct{}, handled chan string) {
	t.Helper()
	b := newSim(t)
	c, _ = newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	first := make(chan struct{})
	hold = make(chan struct{})
	handled = make(chan string, n)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/h", Handler: func(m Message) AckAction {
		if string(m.Body) == "0" {
			close(first)
			<-hold
		}
		handled <- string(m.Body)
		return AckNone
	}})
	require.NoError(t, err)
	for i := range n {
		publish(t, b.Addr(), "/queue/h", itoa(i))
	}
	waitFor(t, "every message received", func() bool { return c.Stats().MessagesIn == int64(n) })
	recv(t, first, "the first message")
	return c, id, hold, handled
}
