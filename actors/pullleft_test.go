package actors

import (
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// Leftovers: the auto-ack messages a pull subscription had received when
// a Disconnect ended it, which the broker counts consumed. Receive hands
// them out after the Disconnect, as a closed channel gives what it holds.

// pullWithReceived subscribes c with Pull in mode to dest and sends n
// messages, returning once the client received every one (they wait in
// the subscription's queue, nobody having taken them).
func pullWithReceived(t *testing.T, c *Conn, dest string, mode AckMode, n int) string {
	t.Helper()
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: dest, Pull: true, Mode: mode, QueueSize: 2 * n, Receipt: time.Second})
	require.NoError(t, err)
	rt := c.routes.Load().find(id)
	require.NotNil(t, rt)
	for i := range n {
		sendTo(t, c, dest, i)
	}
	waitFor(t, "every message received", func() bool { return rt.queued.Load() == int64(n) })
	return id
}

// receiveAll takes n messages of id and checks they are 0..n-1 in order.
func receiveAll(t *testing.T, c *Conn, id string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		m, err := c.Receive(testCtx(t), id)
		require.NoError(t, err, "message %d", i)
		require.Equal(t, strconv.Itoa(i), m.Headers.Value("x-n"))
	}
}

// A graceful Disconnect leaves the auto-ack messages received and not yet
// taken to Receive, in order; once they are taken the subscription is
// unknown, as after any end.
func TestPullLeftoversAfterDisconnect(t *testing.T) {
	c, _ := pullClient(t)
	const n = 20
	id := pullWithReceived(t, c, "/queue/left", AckAuto, n)
	receiveAll(t, c, id, 0, 3)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	require.Equal(t, Disconnected, c.State())
	receiveAll(t, c, id, 3, n-3)
	_, err := c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
	require.Zero(t, c.Stats().Dropped)
	require.Nil(t, c.routes.Load(), "the drained leftovers are let go")
}

// Messages that need an ACK are not left: the broker redelivers them
// (here to the next connection's subscription).
func TestPullLeftoversNotOfAckModes(t *testing.T) {
	for _, mode := range []AckMode{AckClient, AckClientIndividual} {
		t.Run(string(mode), func(t *testing.T) {
			c, b := pullClient(t)
			const n = 5
			dest := "/queue/left-" + string(mode)
			id := pullWithReceived(t, c, dest, mode, n)
			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
			_, err := c.Receive(testCtx(t), id)
			require.ErrorIs(t, err, ErrUnknownSubscription)
			connectTo(t, c, b.Addr(), ConnectConfig{})
			again, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: dest, Pull: true, Receipt: time.Second})
			require.NoError(t, err)
			receiveAll(t, c, again, 0, n)
		})
	}
}

// Close drops the leftovers (the user asked to end), counted as dropped.
func TestPullLeftoversDroppedByClose(t *testing.T) {
	c, _ := pullClient(t)
	const n = 7
	id := pullWithReceived(t, c, "/queue/left-close", AckAuto, n)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	rt := c.routes.Load().findLeft(id)
	require.NotNil(t, rt)
	receiveAll(t, c, id, 0, 2)
	c.Close()
	_, err := c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
	require.Equal(t, int64(n-2), c.Stats().Dropped)
	require.Nil(t, c.routes.Load())
	require.True(t, rt.pull.empty())
	require.Zero(t, rt.queued.Load())
	require.Zero(t, rt.bytes.Load())
}

// Unsubscribe of the id drops them too, connected or not, and says so.
func TestPullLeftoversDroppedByUnsubscribe(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	const n = 4
	id := pullWithReceived(t, c, "/queue/left-unsub", AckAuto, n)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	waitEvent(t, rec, func(e *UnsubscribedEvent) bool { return e.ID == id && e.Destination == "/queue/left-unsub" })
	_, err = c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
	require.Equal(t, int64(n), c.Stats().Dropped)
	require.ErrorIs(t, c.Unsubscribe(testCtx(t), id, 0), ErrUnknownSubscription)
	require.Nil(t, c.routes.Load())
}

// The next subscription with the same id takes the leftovers over: they
// come first, then its own messages, whether Receive takes them or a
// handler.
func TestPullLeftoversGoToTheNextSubscriptionWithTheirID(t *testing.T) {
	t.Run("pull", func(t *testing.T) {
		c, b := pullClient(t)
		id := pullWithReceived(t, c, "/queue/left-next", AckAuto, 10)
		receiveAll(t, c, id, 0, 2)
		require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
		connectTo(t, c, b.Addr(), ConnectConfig{})
		again, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: "/queue/left-next", Pull: true, QueueSize: 4, Receipt: time.Second})
		require.NoError(t, err)
		require.Equal(t, id, again)
		require.Nil(t, c.routes.Load().findLeft(id))
		for i := 10; i < 15; i++ {
			sendTo(t, c, "/queue/left-next", i)
		}
		receiveAll(t, c, id, 2, 13)
		rt := c.routes.Load().find(id)
		waitFor(t, "every place given back", func() bool { return rt.queued.Load() == 0 && rt.bytes.Load() == 0 })
		require.Zero(t, c.Stats().Dropped)
	})
	t.Run("handler", func(t *testing.T) {
		c, b := pullClient(t)
		id := pullWithReceived(t, c, "/queue/left-handler", AckAuto, 10)
		receiveAll(t, c, id, 0, 2)
		require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
		connectTo(t, c, b.Addr(), ConnectConfig{})
		got := make(chan Message, 20)
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: "/queue/left-handler", Mode: AckClientIndividual, Handler: func(m Message) AckAction {
			got <- m
			return AckAck
		}, Receipt: time.Second})
		require.NoError(t, err)
		for i := 10; i < 15; i++ {
			sendTo(t, c, "/queue/left-handler", i)
		}
		for i := 2; i < 15; i++ {
			m := recv(t, got, "a handled message")
			require.Equal(t, strconv.Itoa(i), m.Headers.Value("x-n"))
			require.Equal(t, "/queue/left-handler", m.Destination)
		}
		// Only its own messages needed (and got) an ACK.
		waitFor(t, "the ACKs", func() bool { return c.Stats().Acks == 5 })
		rt := c.routes.Load().find(id)
		waitFor(t, "every place given back", func() bool { return rt.queued.Load() == 0 && rt.bytes.Load() == 0 })
	})
}

// A connection lost (no Reconnect policy) ends the subscription as
// before: what it held is gone.
func TestPullLostConnectionLeavesNothing(t *testing.T) {
	c, b := pullClient(t)
	id := pullWithReceived(t, c, "/queue/left-lost", AckAuto, 3)
	conns := b.Connections()
	require.Len(t, conns, 1)
	require.NoError(t, b.CloseConnection(conns[0].Conn))
	waitFor(t, "the connection to end", func() bool { return c.State() == Disconnected })
	_, err := c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
	require.Nil(t, c.routes.Load())
}

// Callers of Receive during and after the Disconnect each get distinct
// messages, each caller in order, and together every message the broker
// sent, once. Half start before the Disconnect, half with it; each takes
// one message, then waits for the Disconnect to return.
func TestPullLeftoversToConcurrentCallers(t *testing.T) {
	c, b := pullClient(t)
	const n, callers = 300, 4
	dest := "/queue/left-many"
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: dest, Pull: true, QueueSize: n, Receipt: time.Second})
	require.NoError(t, err)
	for i := range n {
		sendTo(t, c, dest, i)
	}
	type result struct {
		got []int
		err error
	}
	results := make(chan result, callers)
	start, returned := make(chan struct{}), make(chan struct{})
	for k := range callers {
		go func() {
			if k%2 == 1 {
				<-start
			}
			var r result
			for {
				m, err := c.Receive(testCtx(t), id)
				if err != nil {
					r.err = err
					break
				}
				i, err := strconv.Atoi(m.Headers.Value("x-n"))
				if err != nil {
					r.err = err
					break
				}
				r.got = append(r.got, i)
				if len(r.got) == 1 {
					<-returned
				}
			}
			results <- r
		}()
	}
	close(start)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	close(returned)
	seen := make(map[int]bool, n)
	for range callers {
		r := recv(t, results, "a caller's end")
		require.ErrorIs(t, r.err, ErrUnknownSubscription)
		for k, i := range r.got {
			require.False(t, seen[i], "message %d twice", i)
			seen[i] = true
			if k > 0 {
				require.Less(t, r.got[k-1], i, "one caller's messages in order")
			}
		}
	}
	d, ok := b.Destination(dest)
	require.True(t, ok)
	require.Equal(t, int(d.Delivered), len(seen), "every message the broker sent, once")
	for i := range len(seen) {
		require.True(t, seen[i], "message %d", i)
	}
	require.Zero(t, c.Stats().Dropped)
	require.Nil(t, c.routes.Load())
}

// A Disconnect while reconnecting ends the subscriptions kept for the
// next connection: the auto-ack messages received on the lost one are
// left to Receive all the same.
func TestPullLeftoversOfADisconnectWhileReconnecting(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: ReconnectPolicy{Enabled: true, InitialDelay: time.Hour, MaxDelay: time.Hour}})
	const n = 6
	id := pullWithReceived(t, c, "/queue/left-reconnecting", AckAuto, n)
	conns := b.Connections()
	require.Len(t, conns, 1)
	require.NoError(t, b.CloseConnection(conns[0].Conn))
	waitFor(t, "the wait to reconnect", func() bool { return c.State() == Connecting })
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	receiveAll(t, c, id, 0, n)
	_, err = c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
}

// The leftovers cost a subscribed connection's routing snapshot nothing:
// it stays in its 80-byte size class.
func TestRoutesSnapshotKeepsItsSizeClass(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(routes{}), uintptr(80))
}

// On a Lent subscription the leftovers are lent as any message Receive
// returns; those Close drops give their memory back.
func TestPullLentLeftovers(t *testing.T) {
	c, _ := pullClient(t)
	const n = 6
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/left-lent", Pull: true, Lent: true, QueueSize: n, Receipt: time.Second})
	require.NoError(t, err)
	rt := c.routes.Load().find(id)
	for i := range n {
		sendTo(t, c, "/queue/left-lent", i)
	}
	waitFor(t, "every message received", func() bool { return rt.queued.Load() == n })
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	for i := range 3 {
		m, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), m.Headers.Value("x-n"))
		require.Equal(t, "message "+strconv.Itoa(i), string(m.Body))
		m.Release()
	}
	c.Close()
	require.Equal(t, int64(n-3), c.Stats().Dropped)
	require.Zero(t, rt.queued.Load())
}

// A Disconnect whose RECEIPT never comes (its timeout ends it) leaves
// them all the same: the broker sent them and counts them consumed.
func TestPullLeftoversOfADisconnectThatTimedOut(t *testing.T) {
	c, b := pullClient(t)
	const n = 5
	id := pullWithReceived(t, c, "/queue/left-timeout", AckAuto, n)
	conns := b.Connections()
	require.Len(t, conns, 1)
	require.NoError(t, b.Inject(sim.Fault{Name: "no-receipt", Kind: sim.StallWrites, Conn: conns[0].Conn}))
	err := c.Disconnect(testCtx(t), true, 100*time.Millisecond)
	require.ErrorIs(t, err, ErrReceiptTimeout)
	receiveAll(t, c, id, 0, n)
	_, err = c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
}
