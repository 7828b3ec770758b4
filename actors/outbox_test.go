package actors

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// outcomes collects the done calls of reliable sends.
type outcomes struct {
	mu  sync.Mutex
	got map[string]error
	ch  chan string
}

func newOutcomes() *outcomes { return &outcomes{got: map[string]error{}, ch: make(chan string, 1024)} }

func (o *outcomes) done(name string) func(error) {
	return func(err error) {
		o.mu.Lock()
		o.got[name] = err
		o.mu.Unlock()
		o.ch <- name
	}
}

// wait returns the outcome of the next send to settle.
func (o *outcomes) wait(t *testing.T) (string, error) {
	t.Helper()
	name := recv(t, o.ch, "a send to settle")
	o.mu.Lock()
	defer o.mu.Unlock()
	return name, o.got[name]
}

func sendFrame(dest, body string) *frames.Frame {
	f := frames.New(frames.CmdSend, frames.HdrDestination, dest)
	f.Body = []byte(body)
	return f
}

// A reliable send is settled by its own RECEIPT.
func TestReliableConfirmed(t *testing.T) {
	b := newSim(t)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	o := newOutcomes()
	for i := range 10 {
		require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/rel", strconv.Itoa(i)), OutboxConfig{}, o.done(strconv.Itoa(i))))
	}
	for range 10 {
		_, err := o.wait(t)
		require.NoError(t, err)
	}
	require.Zero(t, c.Outbox())
	d, _ := b.Destination("/queue/rel")
	require.EqualValues(t, 10, d.Enqueued)
}

// The connection ends before the RECEIPT: with a Reconnect policy the
// message is sent again on the next connection (to the failover broker
// here) and confirmed there, with the same de-duplication id.
func TestReliableResentAfterReconnect(t *testing.T) {
	second := newSim(t)
	// The first broker takes the SEND and hangs up without a RECEIPT.
	first, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		return f.Command != frames.CmdSend
	})
	c, rec := newTestClient(t, ConnOptions{})
	// The first broker serves one connection: the reconnect to it times
	// out, the one to the failover broker succeeds.
	connectTo(t, c, first.addr(), ConnectConfig{Failover: []string{second.Addr()}, Reconnect: fastReconnect, ConnectTimeout: 300 * time.Millisecond})
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/again", "once"), OutboxConfig{DedupHeader: "x-dedup"}, o.done("m")))
	expectFrame(t, got, frames.CmdConnect)
	firstSend := expectFrame(t, got, frames.CmdSend)
	_, err := o.wait(t)
	require.NoError(t, err, "confirmed by the second broker")
	require.EqualValues(t, 1, c.Stats().Resent)
	require.EqualValues(t, 1, c.Stats().Reconnects)
	d, _ := second.Destination("/queue/again")
	require.EqualValues(t, 1, d.Enqueued)
	// The copy the second broker got carries the same id.
	got2 := subscribeOnce(t, second.Addr(), "/queue/again")
	require.Equal(t, firstSend.Header("x-dedup"), got2.Headers.Value("x-dedup"))
	require.NotEmpty(t, got2.Headers.Value("x-dedup"))
	_ = rec
}

// subscribeOnce takes one message from dest with a separate connection.
func subscribeOnce(t *testing.T, addr, dest string) *Message {
	t.Helper()
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, addr, ConnectConfig{})
	got := make(chan *Message, 1)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: dest, Handler: func(m Message) AckAction {
		select {
		case got <- &m:
		default:
		}
		return AckNone
	}})
	require.NoError(t, err)
	return recv(t, got, "the message")
}

// A send made while the client reconnects waits in the outbox and goes
// out on the new connection.
func TestReliableWaitsWhileReconnecting(t *testing.T) {
	// The broker refuses new connections for a while after the first.
	b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "hold", Kind: sim.StallAccept, Conn: 2, Delay: 300 * time.Millisecond}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: fastReconnect, ConnectTimeout: 5 * time.Second})
	require.NoError(t, b.CloseConnection(1))
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" })
	require.Equal(t, Connecting, c.State())
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/later", "x"), OutboxConfig{}, o.done("m")))
	require.Equal(t, 1, c.Outbox())
	_, err = o.wait(t)
	require.NoError(t, err)
	require.Equal(t, Connected, c.State())
	d, _ := b.Destination("/queue/later")
	require.EqualValues(t, 1, d.Enqueued)
}

// Without a Reconnect policy a message written and not confirmed before
// the end fails as outcome unknown.
func TestReliableWithoutReconnectFails(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		return f.Command != frames.CmdSend
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/x", "x"), OutboxConfig{}, o.done("m")))
	expectFrame(t, got, frames.CmdConnect)
	_, err := o.wait(t)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.Zero(t, c.Outbox())
}

// A reliable send cannot join a transaction; one while disconnected fails.
func TestReliableRefusals(t *testing.T) {
	c, _ := newTestClient(t, ConnOptions{})
	f := sendFrame("/queue/tx", "x")
	f.Headers.Add(frames.HdrTransaction, "t1")
	err := c.SendReliable(testCtx(t), f, OutboxConfig{}, nil)
	require.ErrorIs(t, err, ErrReliableInTransaction)
	require.ErrorIs(t, err, ErrInvalidArgument, "typed as a bad argument, as the api's refusal is")
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/x", "x"), OutboxConfig{}, o.done("m")))
	_, err = o.wait(t)
	require.ErrorIs(t, err, ErrNotConnected)
}

// The outbox is bounded: a send waits for room, bounded by its context.
func TestReliableOutboxBound(t *testing.T) {
	srv, _, _, answer := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	cfg := OutboxConfig{Max: 2}
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/q", "1"), cfg, o.done("1")))
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/q", "2"), cfg, o.done("2")))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.SendReliable(ctx, sendFrame("/q", "3"), cfg, o.done("3")), ErrTimeout)
	_ = answer
}

// Disconnect lets the outbox drain first; what the broker never confirms
// fails when Disconnect's time is up, and Disconnect says why.
func TestReliableDisconnectDrains(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/q", "a"), OutboxConfig{}, o.done("a")))
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/q", "b"), OutboxConfig{}, o.done("b")))
	idA, idB := recv(t, asked, "a's receipt request"), recv(t, asked, "b's receipt request")
	done := make(chan error, 1)
	go func() { done <- c.Disconnect(testCtx(t), true, 500*time.Millisecond) }()
	waitFor(t, "disconnecting", func() bool { return c.State() == Disconnecting })
	answer <- idA // a is confirmed while Disconnect waits; b never is
	name, err := o.wait(t)
	require.Equal(t, "a", name)
	require.NoError(t, err)
	err = recv(t, done, "Disconnect")
	require.ErrorContains(t, err, "did not confirm every message of the outbox")
	name, err = o.wait(t)
	require.Equal(t, "b", name)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	_ = idB
}

// Messages queued for a handler when their connection died, and that
// need an ACK, are not handed to it: their ACK could not reach the
// connection they came on, and the broker redelivers them. Auto-ack
// messages, which the broker counts as delivered, still are.
func TestQueuedMessagesOfADeadConnection(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: fastReconnect})
	release := make(chan struct{})
	type seen struct {
		body        string
		redelivered bool
	}
	got := make(chan seen, 16)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/dead", Mode: AckClientIndividual, Receipt: 5 * time.Second,
		Handler: func(m Message) AckAction {
			if string(m.Body) == "first" {
				<-release
			}
			got <- seen{string(m.Body), m.Redelivered}
			return AckAck
		}})
	require.NoError(t, err)
	publish(t, b.Addr(), "/queue/dead", "first")
	publish(t, b.Addr(), "/queue/dead", "second")
	waitFor(t, "both delivered", func() bool { return c.Stats().MessagesIn == 2 })
	require.NoError(t, b.CloseConnection(1))
	waitFor(t, "the reconnection", func() bool { return c.Stats().Reconnects == 1 })
	close(release)
	// "first" was running: it finishes (its ACK fails, the broker gives
	// it again); "second" waited in the queue: it is dropped, and comes
	// back from the broker.
	var bodies []seen
	for len(bodies) < 3 {
		bodies = append(bodies, recv(t, got, "a handled message"))
	}
	require.Equal(t, seen{"first", false}, bodies[0])
	require.ElementsMatch(t, []seen{{"first", true}, {"second", true}}, bodies[1:], "second only as the broker's redelivery: %v", bodies)
	require.GreaterOrEqual(t, c.Stats().Dropped, int64(1))
	_ = rec
}

// A second Disconnect while the first runs shares its end.
func TestConcurrentDisconnects(t *testing.T) {
	b := newSim(t)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- c.Disconnect(testCtx(t), true, 5*time.Second) }()
	}
	require.NoError(t, recv(t, errs, "a Disconnect"))
	require.NoError(t, recv(t, errs, "the other Disconnect"))
	require.Equal(t, Disconnected, c.State())
}
