package actors

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// pullClient connects a client to a fresh simulator broker.
func pullClient(t *testing.T) (*Conn, *sim.Broker) {
	t.Helper()
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Addr: b.Addr()})
	return c, b
}

func sendTo(t *testing.T, c *Conn, dest string, i int) {
	t.Helper()
	f := frames.New(frames.CmdSend, frames.HdrDestination, dest, "x-n", strconv.Itoa(i))
	f.Body = []byte("message " + strconv.Itoa(i))
	require.NoError(t, c.Send(testCtx(t), f, 0, false))
}

// A pull subscription hands its messages to Receive, in order, while a
// handler's subscription of the same connection gets its own copies; in
// a round trip (one message in flight) the caller reads the connection
// itself.
func TestPullReceivesInOrder(t *testing.T) {
	c, _ := pullClient(t)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/pull", Pull: true, Receipt: time.Second})
	require.NoError(t, err)
	pushed := make(chan Message, 1000)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/pull", Handler: func(m Message) AckAction {
		pushed <- m
		return AckNone
	}, Receipt: time.Second})
	require.NoError(t, err)
	// A burst, then round trips.
	const burst, trips = 300, 200
	for i := range burst {
		sendTo(t, c, "/topic/pull", i)
	}
	for i := range burst {
		m, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), m.Headers.Value("x-n"))
		require.Equal(t, "/topic/pull", m.Destination)
		require.Equal(t, "message "+strconv.Itoa(i), string(m.Body))
	}
	for i := burst; i < burst+trips; i++ {
		sendTo(t, c, "/topic/pull", i)
		m, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), m.Headers.Value("x-n"))
	}
	for i := range burst + trips {
		require.Equal(t, strconv.Itoa(i), recv(t, pushed, "a handled message").Headers.Value("x-n"))
	}
	if !callersRead {
		return // the reader's goroutine reads for them here
	}
	rd := c.link.Load().rd
	pr := rd.pr.Load()
	require.NotNil(t, pr, "the reading was left to callers")
	pr.mu.Lock()
	claims := pr.claims
	pr.mu.Unlock()
	require.Greater(t, claims, uint64(trips/2), "callers of Receive read the connection themselves")
}

// Receive ends with its context, and the connection reads on as before:
// no deadline of the interrupted wait is left on the socket.
func TestPullReceiveEndsWithItsContext(t *testing.T) {
	c, _ := pullClient(t)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/pull-ctx", Pull: true, Receipt: time.Second})
	require.NoError(t, err)
	for i := range 20 {
		sendTo(t, c, "/queue/pull-ctx", i)
		_, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%3)*time.Millisecond)
		_, err = c.Receive(ctx, id)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		ctx, cancel = context.WithCancel(context.Background())
		go cancel()
		_, err = c.Receive(ctx, id)
		require.ErrorIs(t, err, context.Canceled)
	}
	// A receipted send still gets its receipt, then a message comes.
	f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/pull-ctx")
	require.NoError(t, c.Send(testCtx(t), f, time.Second, true))
	_, err = c.Receive(testCtx(t), id)
	require.NoError(t, err)
}

// Once callers stop coming back, the reader takes the reading back: a
// handler's subscription gets its messages with no caller in Receive.
func TestPullReadingGoesBackToTheReader(t *testing.T) {
	c, _ := pullClient(t)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/pull-back", Pull: true, Receipt: time.Second})
	require.NoError(t, err)
	got := make(chan Message, 10)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/push-back", Handler: func(m Message) AckAction {
		got <- m
		return AckNone
	}, Receipt: time.Second})
	require.NoError(t, err)
	for i := range 5 {
		sendTo(t, c, "/queue/pull-back", i)
		_, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
	}
	for i := range 5 {
		sendTo(t, c, "/queue/push-back", i)
		require.Equal(t, strconv.Itoa(i), recv(t, got, "a handled message").Headers.Value("x-n"))
	}
}

// A caller reading for one pull subscription while another's queue is
// full does not wait for that room itself: its Receive ends with its
// context, and all arrives once the other queue is taken from.
func TestPullCallerDoesNotWaitForAnotherQueue(t *testing.T) {
	c, _ := pullClient(t)
	a, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/pull-two", Pull: true, QueueSize: 1, Receipt: time.Second})
	require.NoError(t, err)
	b, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/pull-two", Pull: true, QueueSize: 1, Receipt: time.Second})
	require.NoError(t, err)
	const n = 4
	for i := range n {
		sendTo(t, c, "/topic/pull-two", i)
	}
	// a gets its first; b's queue holds one and the second waits.
	m, err := c.Receive(testCtx(t), a)
	require.NoError(t, err)
	require.Equal(t, "0", m.Headers.Value("x-n"))
	for i := 1; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		m, err = c.Receive(ctx, a)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			// b's room lets the reading go on.
			_, err = c.Receive(testCtx(t), b)
			require.NoError(t, err)
			m, err = c.Receive(testCtx(t), a)
		}
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), m.Headers.Value("x-n"))
	}
	for len(drain(c, b)) > 0 {
	}
}

// drain takes what b holds now.
func drain(c *Conn, id string) []Message {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	var out []Message
	for {
		m, err := c.Receive(ctx, id)
		if err != nil {
			return out
		}
		out = append(out, m)
	}
}

// Receive of a subscription that ends while it waits returns
// ErrUnknownSubscription; one of a handler's subscription is refused; a
// pull spec with a handler is refused.
func TestPullSubscriptionEnds(t *testing.T) {
	c, _ := pullClient(t)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/pull-end", Pull: true, Receipt: time.Second})
	require.NoError(t, err)
	push, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/push-end", Receipt: time.Second})
	require.NoError(t, err)
	_, err = c.Receive(testCtx(t), push)
	require.ErrorIs(t, err, errNotPull)
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/x", Pull: true, Handler: func(Message) AckAction { return AckAck }})
	require.ErrorIs(t, err, errPullSpec)
	done := make(chan error, 1)
	go func() {
		_, err := c.Receive(testCtx(t), id)
		done <- err
	}()
	require.NoError(t, c.Unsubscribe(testCtx(t), id, time.Second))
	require.ErrorIs(t, recv(t, done, "Receive's end"), ErrUnknownSubscription)
	_, err = c.Receive(testCtx(t), "no-such")
	require.ErrorIs(t, err, ErrUnknownSubscription)
}

// Messages that need an ACK are acknowledged through their Ref; the
// broker then holds none unacknowledged. The broker going away while a
// caller waits ends its Receive.
func TestPullAcksAndBrokerLoss(t *testing.T) {
	c, b := pullClient(t)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/pull-ack", Pull: true, Mode: AckClientIndividual, Receipt: time.Second})
	require.NoError(t, err)
	for i := range 10 {
		sendTo(t, c, "/queue/pull-ack", i)
		m, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
		require.True(t, m.NeedsAck())
		require.NoError(t, c.AckRef(testCtx(t), m.Ref(), false, "", time.Second))
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Receive(testCtx(t), id)
		done <- err
	}()
	require.NoError(t, b.Close())
	err = recv(t, done, "Receive's end")
	require.Error(t, err)
	require.False(t, errors.Is(err, context.DeadlineExceeded), "Receive ended with the connection, not its context: %v", err)
}

// A caller reading the connection for a subscription that ends meanwhile
// (Unsubscribe with no receipt: nothing more comes on the socket) is woken
// and told.
func TestPullCallerReadingLearnsItsSubscriptionEnded(t *testing.T) {
	if !callersRead {
		t.Skip("callers of Receive do not read the connection on this platform")
	}
	c, _ := pullClient(t)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/pull-gone", Pull: true, Receipt: time.Second})
	require.NoError(t, err)
	for i := range 5 {
		sendTo(t, c, "/queue/pull-gone", i)
		_, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Receive(testCtx(t), id)
		done <- err
	}()
	rd := c.link.Load().rd
	waitFor(t, "the caller to wait for the socket", func() bool {
		// Made the first time the reader leaves the reading to a
		// caller, which may not have happened yet.
		pr := rd.pr.Load()
		if pr == nil {
			return false
		}
		pr.mu.Lock()
		defer pr.mu.Unlock()
		return pr.inWait
	})
	require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	require.ErrorIs(t, recv(t, done, "Receive's end"), ErrUnknownSubscription)
}

// A Lent pull subscription lends each message until Release: released
// messages give their memory to later ones, a message kept unreleased
// stays intact meanwhile, and a Ref taken before Release acknowledges
// after it.
func TestPullLentMessagesUntilReleased(t *testing.T) {
	c, b := pullClient(t)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/lent", Pull: true, Lent: true, Mode: AckClientIndividual, Receipt: time.Second})
	require.NoError(t, err)
	body := func(i int) []byte {
		n := []int{10, 300, 2000, 70000}[i%4]
		out := make([]byte, n)
		for j := range out {
			out[j] = byte('a' + (i+j)%26)
		}
		return out
	}
	type kept struct {
		m    Message
		i    int
		body []byte
	}
	var held []kept
	const n = 200
	for i := 0; i < n; i += 2 {
		// Two at a time: a burst's frames share memory.
		for j := i; j < i+2; j++ {
			f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/lent", "x-n", strconv.Itoa(j))
			f.Body = body(j)
			require.NoError(t, c.Send(testCtx(t), f, 0, false))
		}
		for j := i; j < i+2; j++ {
			m, err := c.Receive(testCtx(t), id)
			require.NoError(t, err)
			require.Equal(t, strconv.Itoa(j), m.Headers.Value("x-n"))
			require.Equal(t, body(j), m.Body)
			require.NotNil(t, m.Lease(), "message %d is lent", j)
			ref := m.Ref()
			if j%3 == 0 {
				held = append(held, kept{m: m, i: j, body: body(j)})
			} else {
				m.Release()
				m.Release() // a second Release of the same value does nothing
			}
			require.NoError(t, c.AckRef(testCtx(t), ref, false, "", time.Second))
		}
	}
	require.Greater(t, len(held), n/4)
	for _, k := range held {
		require.Equal(t, strconv.Itoa(k.i), k.m.Headers.Value("x-n"), "message %d kept unreleased", k.i)
		require.Equal(t, k.body, k.m.Body, "message %d kept unreleased", k.i)
		k.m.Release()
	}
	waitFor(t, "every message acknowledged", func() bool {
		for _, d := range b.Stats().Destinations {
			if d.Name == "/queue/lent" {
				return d.Unacked == 0 && d.Delivered == n
			}
		}
		return false
	})
}
