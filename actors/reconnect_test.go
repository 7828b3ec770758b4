package actors

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

func newSim(t *testing.T) *sim.Broker {
	t.Helper()
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

var fastReconnect = ReconnectPolicy{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}

// publish sends one message through a separate client.
func publish(t *testing.T, addr, dest, body string) {
	t.Helper()
	p, _ := newTestClient(t, ConnOptions{})
	connectTo(t, p, addr, ConnectConfig{})
	f := frames.New(frames.CmdSend, frames.HdrDestination, dest)
	f.Body = []byte(body)
	require.NoError(t, p.Send(testCtx(t), f, 5*time.Second, true))
}

func connectedCount(rec *recorder) int {
	return count(rec, func(e *ConnectedEvent) bool { return e.Err == nil })
}

func TestReconnectResubscribes(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: fastReconnect})
	got := make(chan string, 4)
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/r", Mode: AckClientIndividual, Receipt: 5 * time.Second,
		Handler: func(m Message) AckAction { got <- string(m.Body); return AckAck }})
	require.NoError(t, err)

	require.NoError(t, b.CloseConnection(1))
	waitEvent[*DisconnectedEvent](t, rec, func(e *DisconnectedEvent) bool { return e.Err != nil })
	waitFor(t, "the reconnection", func() bool { return c.Stats().Reconnects == 1 && c.State() == Connected })
	waitFor(t, "the second ConnectedEvent", func() bool { return connectedCount(rec) == 2 })
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnected" })

	subs := c.Subscriptions()
	require.Len(t, subs, 1)
	require.Equal(t, id, subs[0].ID)
	waitFor(t, "the broker to see the subscription again", func() bool {
		info, ok := b.Connection(2)
		return ok && len(info.Subscriptions) == 1
	})
	publish(t, b.Addr(), "/queue/r", "after the loss")
	require.Equal(t, "after the loss", recv(t, got, "the message on the restored subscription"))
}

func TestReconnectFailsOver(t *testing.T) {
	first, second := newSim(t), newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, first.Addr(), ConnectConfig{Reconnect: fastReconnect, Failover: []string{second.Addr()}})
	got := make(chan string, 4)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/f", Handler: func(m Message) AckAction { got <- string(m.Body); return AckNone }})
	require.NoError(t, err)

	require.NoError(t, first.Close()) // the whole broker goes away
	waitFor(t, "the reconnection to the second broker", func() bool { return c.Stats().Reconnects == 1 && c.State() == Connected })
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool {
		return e.Status == "reconnected" && strings.HasPrefix(e.Detail, second.Addr())
	})
	waitFor(t, "the subscription on the second broker", func() bool {
		info, ok := second.Connection(1)
		return ok && len(info.Subscriptions) == 1
	})
	publish(t, second.Addr(), "/queue/f", "on the second broker")
	require.Equal(t, "on the second broker", recv(t, got, "the message from the second broker"))
}

func TestReconnectGivesUp(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	policy := fastReconnect
	policy.MaxAttempts = 2
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: policy})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/g"})
	require.NoError(t, err)
	require.NoError(t, b.Close())
	ev := waitEvent[*ErrorEvent](t, rec, func(e *ErrorEvent) bool {
		return strings.Contains(e.Err.Error(), "gave up reconnecting after 2 attempts")
	})
	require.ErrorIs(t, ev.Err, ErrConnectionLost)
	waitFor(t, "the client to settle", func() bool { return c.State() == Disconnected })
	require.Empty(t, c.Subscriptions())
	require.Zero(t, c.Stats().Reconnects)
}

func TestDisconnectStopsReconnecting(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	slow := ReconnectPolicy{Enabled: true, InitialDelay: time.Hour, MaxDelay: time.Hour}
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: slow})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/d"})
	require.NoError(t, err)
	require.NoError(t, b.CloseConnection(1))
	waitEvent[*ConnectionStatusEvent](t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" })
	require.Equal(t, Connecting, c.State())
	_, err = c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr()})
	require.ErrorIs(t, err, ErrAlreadyConnected, "a Connect while reconnecting is refused")
	require.NoError(t, c.Disconnect(testCtx(t), true, time.Second))
	require.Equal(t, Disconnected, c.State())
	require.Empty(t, c.Subscriptions())
}

func TestNoReconnectAfterDisconnectOrWhenDisabled(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{}) // reconnecting is off by default
	require.NoError(t, b.CloseConnection(1))
	waitEvent[*DisconnectedEvent](t, rec, func(e *DisconnectedEvent) bool { return e.Err != nil })
	require.Equal(t, Disconnected, c.State())
	require.Zero(t, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" }))

	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: fastReconnect})
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	require.Equal(t, Disconnected, c.State())
	require.Zero(t, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" }))
}

// The wait before an attempt is "full jitter": the drawn fraction of a
// ceiling that doubles from InitialDelay with each attempt up to
// MaxDelay, anywhere from zero up, not only in the ceiling's upper half.
func TestReconnectDelayIsFullJitterBelowTheCappedCeiling(t *testing.T) {
	ceilings := map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 10: time.Second}
	var draw float64
	p := ReconnectPolicy{InitialDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, jitter: func() float64 { return draw }}
	for n, ceiling := range ceilings {
		require.Equal(t, ceiling, p.ceiling(n), "attempt %d", n)
		for _, u := range []float64{0, 0.1, 0.5, math.Nextafter(1, 0)} {
			draw = u
			d := p.delay(n)
			require.Equal(t, time.Duration(u*float64(ceiling)), d, "attempt %d, draw %v", n, u)
			require.GreaterOrEqual(t, d, time.Duration(0), "attempt %d", n)
			require.LessOrEqual(t, d, ceiling, "attempt %d", n)
		}
	}
	// The policy's own source (math/rand/v2) draws in [0, d] too, and
	// below d/2 as often as above: that 1000 draws all land in the upper
	// half has a chance of 2^-1000.
	p.jitter = nil
	for n, ceiling := range ceilings {
		low := 0
		for range 1000 {
			d := p.delay(n)
			require.GreaterOrEqual(t, d, time.Duration(0), "attempt %d", n)
			require.LessOrEqual(t, d, ceiling, "attempt %d", n)
			if d < ceiling/2 {
				low++
			}
		}
		require.Positive(t, low, "attempt %d: no wait below half the ceiling", n)
	}
}

// A session waits what its policy's draw says: a draw of 0 makes the
// attempt after a loss at once.
func TestReconnectWaitsTheDrawnFractionOfTheCeiling(t *testing.T) {
	b := newSim(t)
	c, rec := newTestClient(t, ConnOptions{})
	var draws atomic.Int32
	policy := ReconnectPolicy{Enabled: true, InitialDelay: time.Hour, MaxDelay: time.Hour,
		jitter: func() float64 { draws.Add(1); return 0 }}
	connectTo(t, c, b.Addr(), ConnectConfig{Reconnect: policy})
	require.NoError(t, b.CloseConnection(1))
	ev := waitEvent(t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "reconnecting" })
	require.True(t, strings.HasPrefix(ev.Detail, "attempt 1 in 0s after: "), ev.Detail)
	waitFor(t, "the reconnection, an hour's ceiling notwithstanding", func() bool { return c.Stats().Reconnects == 1 && c.State() == Connected })
	require.Equal(t, int32(1), draws.Load())
}

// Close called from inside a message handler returns instead of waiting
// for its own goroutine; everything still stops. (Events go to a sink that
// must not block; the api package's dispatcher runs event handlers, and
// tests Close from inside those.)
func TestCloseFromInsideHandlers(t *testing.T) {
	b := newSim(t)
	t.Run("message handler", func(t *testing.T) {
		c := mustConn(t, nil, ConnOptions{})
		connectTo(t, c, b.Addr(), ConnectConfig{})
		closed := make(chan struct{})
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/close", Handler: func(Message) AckAction {
			c.Close()
			close(closed)
			return AckNone
		}})
		require.NoError(t, err)
		publish(t, b.Addr(), "/queue/close", "x")
		recv(t, closed, "Close to return inside the handler")
		require.Equal(t, Disconnected, c.State())
		c.Close() // idempotent
	})
}
