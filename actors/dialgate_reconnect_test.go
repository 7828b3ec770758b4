package actors

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// dropDialer dials for real and keeps the last connection, so that a test
// can drop it (the client then reconnects); once hang is set its dials
// wait for their attempt's end, once fail is set they fail with it.
type dropDialer struct {
	mu   sync.Mutex
	last net.Conn
	hang atomic.Bool
	fail atomic.Pointer[error]
}

func (d *dropDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := d.fail.Load(); err != nil {
		return nil, *err
	}
	if d.hang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.last = conn
		d.mu.Unlock()
	}
	return conn, err
}

// drop closes the last connection dialed: the client loses it.
func (d *dropDialer) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil {
		_ = d.last.Close()
	}
}

// reconnecting connects a client of e to addr with a Reconnect policy
// (the connect timeout and MaxAttempts given) through a dropDialer.
func reconnecting(t *testing.T, e *Engine, addr string, opts ConnOptions, timeout time.Duration, maxAttempts int) (*Conn, *dropDialer) {
	t.Helper()
	d := &dropDialer{}
	c := mustConn(t, e, opts)
	t.Cleanup(c.Close)
	connectTo(t, c, addr, ConnectConfig{Dial: d.dial, ConnectTimeout: timeout,
		Reconnect: ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxAttempts: maxAttempts}})
	return c, d
}

// holdSlot connects a client of e to addr and drops its connection; its
// reconnect attempt's dial waits until the attempt ends, so it holds one
// of the engine's slots until the test closes the client. It returns once
// the attempt holds its slot.
func holdSlot(t *testing.T, e *Engine, addr string) *Conn {
	t.Helper()
	before := e.ConnectSlots().InFlight
	c, d := reconnecting(t, e, addr, ConnOptions{}, time.Hour, 0)
	d.hang.Store(true)
	d.drop()
	waitFor(t, "the holder's slot", func() bool { return e.ConnectSlots().InFlight == before+1 })
	return c
}

// engineFor makes an engine with a limit of n connection attempts,
// closed once the test's connections are.
func engineFor(t *testing.T, n int) *Engine {
	t.Helper()
	e := NewEngine(EngineOptions{MaxConcurrentConnects: n})
	t.Cleanup(func() {
		waitFor(t, "the engine's connections to close", func() bool { return e.Connections() == 0 })
		require.NoError(t, e.Close())
	})
	return e
}

// The engine's slots hold back only automatic reconnect attempts: a
// Connect (its retries and failover included) runs at once with every
// slot taken. A reconnect attempt that finds none waits in line before it
// starts: its connect timeout starts with the slot, so however long it
// waits it neither times out nor uses up its one attempt (MaxAttempts 1),
// and it connects once the slot comes free.
func TestConnectIsNeverQueuedAndAQueuedReconnectWaitsOutsideItsTimeout(t *testing.T) {
	b := newSim(t)
	e := engineFor(t, 1)
	holder := holdSlot(t, e, b.Addr())
	held := ConnectSlots{Limit: 1, InFlight: 1}

	t.Run("Connect", func(t *testing.T) {
		c := mustConn(t, e, ConnOptions{})
		defer c.Close()
		connectTo(t, c, b.Addr(), ConnectConfig{ConnectTimeout: time.Second})
		require.Zero(t, c.Stats().ConnectsQueued)
		require.Equal(t, held, e.ConnectSlots())
	})
	t.Run("Connect retrying through failover", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		refused := ln.Addr().String()
		require.NoError(t, ln.Close())
		c := mustConn(t, e, ConnOptions{})
		defer c.Close()
		connectTo(t, c, refused, ConnectConfig{ConnectTimeout: time.Second, Failover: []string{b.Addr()},
			Reconnect: ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxAttempts: 3}})
		require.Zero(t, c.Stats().ConnectsQueued)
		require.Equal(t, held, e.ConnectSlots())
	})

	// Long enough for the attempt to connect once it has its slot on a
	// loaded machine under -race (20ms was not, in CI), short enough that
	// four of them pass in line within a second.
	const timeout = 250 * time.Millisecond
	rec := newRecorder()
	c, d := reconnecting(t, e, b.Addr(), ConnOptions{Sink: rec.add}, timeout, 1)
	d.drop()
	waitFor(t, "the reconnect attempt to wait in line", func() bool {
		return e.ConnectSlots() == ConnectSlots{Limit: 1, InFlight: 1, Waiting: 1}
	})
	ev := waitEvent(t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "queued" })
	require.Contains(t, ev.Detail, "0 attempts ahead")
	require.Equal(t, int64(1), c.Stats().ConnectsQueued)
	// Four connect timeouts in line: still waiting, still its first
	// attempt, never timed out, never given up.
	require.Never(t, func() bool {
		return c.State() != Connecting || e.ConnectSlots().Waiting != 1
	}, 4*timeout, time.Millisecond)
	require.Zero(t, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "gave up" }))
	require.Equal(t, 1, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "dialing" }), "only the first Connect dialed")

	holder.Close()
	waitFor(t, "the client back", func() bool { return c.State() == Connected && c.Stats().Reconnects == 1 })
	require.Zero(t, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "gave up" }))
	require.Equal(t, int64(1), c.Stats().ConnectsQueued)
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots(), "CONNECTED gave the slot back")
}

// Disconnect, Interrupt and Close of a client whose reconnect attempt
// waits for a slot return at once (not at the connect timeout of the
// attempt that holds the slot, an hour away), end the client's
// reconnecting, and give back nothing: the holder keeps its slot, and the
// next reconnect attempt waits for it as before.
func TestEndingAClientWaitingForASlotReturnsPromptlyAndGivesBackNothing(t *testing.T) {
	b := newSim(t)
	e := engineFor(t, 1)
	holder := holdSlot(t, e, b.Addr())

	for _, end := range []struct {
		name string
		fn   func(c *Conn)
	}{
		{"Disconnect", func(c *Conn) { require.NoError(t, c.Disconnect(testCtx(t), true, time.Hour)) }},
		{"Interrupt", func(c *Conn) { c.Interrupt() }},
		{"Close", func(c *Conn) { c.Close() }},
	} {
		t.Run(end.name, func(t *testing.T) {
			c, d := reconnecting(t, e, b.Addr(), ConnOptions{}, time.Hour, 0)
			d.drop()
			waitFor(t, "the attempt to wait in line", func() bool { return e.ConnectSlots().Waiting == 1 })
			ended := make(chan struct{})
			go func() { end.fn(c); close(ended) }()
			recv(t, ended, end.name+" to return")
			require.Equal(t, Disconnected, c.State())
			require.Equal(t, ConnectSlots{Limit: 1, InFlight: 1, Waiting: 0}, e.ConnectSlots())
		})
	}

	// The holder's slot is still the only one: the next attempt waits.
	next, d := reconnecting(t, e, b.Addr(), ConnOptions{}, time.Hour, 0)
	d.drop()
	waitFor(t, "the next attempt to wait in line", func() bool { return e.ConnectSlots().Waiting == 1 })
	holder.Close()
	waitFor(t, "the next client back", func() bool { return next.State() == Connected && next.Stats().Reconnects == 1 })
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())
}

// A reconnect attempt that fails, or whose session panics mid-handshake,
// gives its slot back.
func TestFailedAndPanickedAttemptsGiveTheirSlotBack(t *testing.T) {
	b := newSim(t)
	e := engineFor(t, 1)

	rec := newRecorder()
	c, d := reconnecting(t, e, b.Addr(), ConnOptions{Sink: rec.add}, waitTimeout, 1)
	refused := errors.New("refused by the test")
	d.fail.Store(&refused)
	d.drop()
	ev := waitEvent(t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "gave up" })
	require.Contains(t, ev.Detail, refused.Error())
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())
	c.Close()

	var connecting atomic.Int32
	prec := newRecorder()
	p, pd := reconnecting(t, e, b.Addr(), ConnOptions{Sink: func(ev Event) {
		// The second "connecting": CONNECT is queued on the reconnect's socket.
		if s, ok := ev.(*ConnectionStatusEvent); ok && s.Status == "connecting" && connecting.Add(1) == 2 {
			panic("a sink that fails mid-handshake")
		}
		prec.add(ev)
	}}, waitTimeout, 0)
	pd.drop()
	waitEvent(t, prec, func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "internal panic") })
	waitFor(t, "the client back, its slots given back", func() bool { return p.State() == Connected && e.ConnectSlots() == ConnectSlots{Limit: 1} })
	p.Close()

	// Nothing was kept: the next reconnect attempt has the slot at once.
	n, nd := reconnecting(t, e, b.Addr(), ConnOptions{}, waitTimeout, 0)
	nd.drop()
	waitFor(t, "the next client back", func() bool { return n.State() == Connected && n.Stats().Reconnects == 1 })
	require.Zero(t, n.Stats().ConnectsQueued)
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())
}
