package actors

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// leftoversOnNextConnection has a pull auto subscription receive n
// messages, Receive take the first, a Disconnect leave the rest and a
// new connection come up; it returns the id and the broker's connection
// number.
func leftoversOnNextConnection(t *testing.T, c *Conn, b *sim.Broker, dest string, n int) string {
	t.Helper()
	id := pullWithReceived(t, c, dest, AckAuto, n)
	receiveAll(t, c, id, 0, 1)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	require.NotNil(t, c.routes.Load().findLeft(id), "premise: the leftovers wait for Receive")
	connectTo(t, c, b.Addr(), ConnectConfig{})
	return id
}

// requireLeftoversBack checks that Receive gives messages from..n-1 of id
// in order, then ErrUnknownSubscription, with none dropped.
func requireLeftoversBack(t *testing.T, c *Conn, id string, from, n int) {
	t.Helper()
	require.Zero(t, c.Stats().Dropped)
	receiveAll(t, c, id, from, n-from)
	_, err := c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
	require.Nil(t, c.routes.Load().findLeft(id), "drained leftovers are let go")
}

// A Subscribe that took over the leftovers and then fails because the
// caller's context ended gives them back: Receive returns them all, in
// order.
func TestASubscribeCanceledByItsContextGivesBackTheLeftovers(t *testing.T) {
	c, b := pullClient(t)
	const n = 6
	dest := "/queue/left-undo-ctx"
	id := leftoversOnNextConnection(t, c, b, dest, n)
	require.NoError(t, b.Inject(sim.Fault{Name: "no-receipt", Kind: sim.StallWrites, Conn: 2}))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Subscribe(ctx, SubscribeSpec{ID: id, Destination: dest, Pull: true, Receipt: time.Minute})
	require.Error(t, err, "premise: the Subscribe fails")
	require.Empty(t, c.Subscriptions())
	requireLeftoversBack(t, c, id, 1, n)
}

// A broker that closes the connection with an ERROR for the SUBSCRIBE
// (as most do) fails the Subscribe and ends the connection for good:
// the leftovers it took over go back all the same.
func TestASubscribeEndedByAFatalErrorGivesBackTheLeftovers(t *testing.T) {
	c, b := pullClient(t)
	const n = 6
	dest := "/queue/left-undo-fatal"
	id := leftoversOnNextConnection(t, c, b, dest, n)
	// An ERROR in place of the SUBSCRIBE's RECEIPT, and the close.
	require.NoError(t, b.Inject(sim.Fault{Name: "refuse", Kind: sim.SendError, Conn: 2, OnCommand: frames.CmdReceipt, Fatal: true, Message: "not allowed"}))
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: dest, Pull: true, Receipt: 5 * time.Second})
	require.Error(t, err, "premise: the Subscribe fails")
	waitFor(t, "the connection to end", func() bool { return c.State() == Disconnected })
	requireLeftoversBack(t, c, id, 1, n)
}

// A broker that answers the SUBSCRIBE with an ERROR naming its receipt
// and keeps the connection (as ActiveMQ does after some errors) fails
// the Subscribe: the leftovers it took over go back, and the connection
// stays up.
func TestASubscribeRefusedByAnErrorGivesBackTheLeftovers(t *testing.T) {
	const n = 6
	// The first connection delivers n messages; the second refuses.
	first, _ := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		if f.Command == frames.CmdSubscribe {
			for i := range n {
				p.write(rawFrame("MESSAGE", "m", "subscription", f.Header(frames.HdrID), "message-id", "m-"+strconv.Itoa(i), "destination", "/queue/a", "x-n", strconv.Itoa(i)))
			}
		}
		return f.Command != frames.CmdDisconnect
	})
	second, _ := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			p.write(rawFrame("ERROR", "", "message", "not authorized", "receipt-id", f.Header(frames.HdrReceipt)))
			return true
		}
		return politeBroker(p, f)
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, first.addr(), ConnectConfig{})
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/a", Pull: true, QueueSize: 2 * n, Receipt: 5 * time.Second})
	require.NoError(t, err)
	rt := c.routes.Load().find(id)
	waitFor(t, "every message received", func() bool { return rt.queued.Load() == n })
	receiveAll(t, c, id, 0, 1)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	connectTo(t, c, second.addr(), ConnectConfig{})
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: "/queue/a", Pull: true, Receipt: 5 * time.Second})
	require.True(t, IsServerError(err), "premise: the broker refuses the Subscribe: %v", err)
	requireLeftoversBack(t, c, id, 1, n)
	require.Equal(t, Connected, c.State())
}

// Leftovers given back are taken over again by the next Subscribe of the
// id, which gets them first.
func TestLeftoversGivenBackAreTakenOverAgain(t *testing.T) {
	c, b := pullClient(t)
	const n = 6
	dest := "/queue/left-undo-again"
	id := leftoversOnNextConnection(t, c, b, dest, n)
	require.NoError(t, b.Inject(sim.Fault{Name: "no-receipt", Kind: sim.StallWrites, Conn: 2}))
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: dest, Pull: true, Receipt: 200 * time.Millisecond})
	require.Error(t, err, "premise: the Subscribe fails")
	receiveAll(t, c, id, 1, 1)
	// A new connection, where the broker answers.
	require.NoError(t, c.Disconnect(testCtx(t), false, time.Second))
	connectTo(t, c, b.Addr(), ConnectConfig{})
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: dest, Pull: true, Receipt: 5 * time.Second})
	require.NoError(t, err)
	// The broker may not have ended the stalled connection's
	// subscription yet (the client closed it without waiting for a
	// RECEIPT): a message it gave that one would be lost with it.
	waitFor(t, "the earlier connection's subscription gone", func() bool {
		d, ok := b.Destination(dest)
		return ok && d.Subscribers == 1
	})
	sendTo(t, c, dest, n)
	receiveAll(t, c, id, 2, n-1)
	require.Zero(t, c.Stats().Dropped)
}

// A handler's subscription that took over the leftovers has them in its
// mailbox at once; when its Subscribe then fails, its handler is still
// given every one of them, in order, as Unsubscribe hands over: none is
// lost.
func TestAFailedHandlerSubscribeStillHandsOverTheLeftovers(t *testing.T) {
	c, b := pullClient(t)
	const n = 6
	dest := "/queue/left-undo-handler"
	id := leftoversOnNextConnection(t, c, b, dest, n)
	require.NoError(t, b.Inject(sim.Fault{Name: "no-receipt", Kind: sim.StallWrites, Conn: 2}))
	got := make(chan string, n)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: dest, Receipt: 200 * time.Millisecond, Handler: func(m Message) AckAction {
		got <- m.Headers.Value("x-n")
		return AckNone
	}})
	require.Error(t, err, "premise: the Subscribe fails")
	for i := 1; i < n; i++ {
		require.Equal(t, strconv.Itoa(i), recv(t, got, "leftover "+strconv.Itoa(i)))
	}
	require.Zero(t, c.Stats().Dropped)
	_, err = c.Receive(testCtx(t), id)
	require.ErrorIs(t, err, ErrUnknownSubscription)
}

// A handler's subscription that took over the leftovers and whose
// connection then ends for good (a fatal ERROR in place of the
// SUBSCRIBE's RECEIPT) while its handler still runs: each leftover is
// either handled or counted in Stats.Dropped, none lost silently.
func TestLeftoversAHandlerTookOverAreHandledOrCountedWhenItsConnectionEnds(t *testing.T) {
	c, b := pullClient(t)
	const n = 6
	dest := "/queue/left-undo-handler-fatal"
	id := leftoversOnNextConnection(t, c, b, dest, n)
	require.NoError(t, b.Inject(sim.Fault{Name: "refuse", Kind: sim.SendError, Conn: 2, OnCommand: frames.CmdReceipt, Fatal: true, Message: "not allowed"}))
	started, release := make(chan struct{}, n), make(chan struct{})
	var handled atomic.Int64
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: dest, Receipt: 5 * time.Second, Handler: func(m Message) AckAction {
		started <- struct{}{}
		<-release
		handled.Add(1)
		return AckNone
	}})
	require.Error(t, err, "premise: the Subscribe fails")
	recv(t, started, "the first leftover's handler")
	waitFor(t, "the connection to end", func() bool { return c.State() == Disconnected })
	close(release)
	waitFor(t, "every leftover handled or counted", func() bool { return handled.Load()+c.Stats().Dropped >= n-1 })
	require.Equal(t, int64(n-1), handled.Load()+c.Stats().Dropped, "handled %d", handled.Load())
}
