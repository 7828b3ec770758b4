package actors

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The gate gives its slots in the order the attempts came, takes back
// only what an attempt holds (a queued one leaves the line, one that
// left or gave back its slot takes nothing more), and with no limit lets
// every attempt through.
func TestDialGateGivesSlotsInOrderAndTakesBackOnlyWhatWasTaken(t *testing.T) {
	g := newDialGate(2)
	atts := make([]*dialAttempt, 5)
	for i := range atts {
		atts[i] = &dialAttempt{deadline: time.Now().Add(time.Hour)}
	}
	for i, want := range []bool{true, true, false, false, false} {
		ok, ahead := g.enter(atts[i])
		require.Equal(t, want, ok, "attempt %d", i)
		if !ok {
			require.Equal(t, i-2, ahead, "attempt %d", i)
		}
	}
	slots := func() ConnectSlots { return ConnectSlots{Limit: g.limit, InFlight: g.inFlight, Waiting: g.waiting} }
	require.Equal(t, ConnectSlots{Limit: 2, InFlight: 2, Waiting: 3}, slots())

	g.leave(atts[3]) // the middle of the line leaves
	require.Equal(t, ConnectSlots{Limit: 2, InFlight: 2, Waiting: 2}, slots())
	g.leave(atts[3]) // again: nothing
	require.Equal(t, ConnectSlots{Limit: 2, InFlight: 2, Waiting: 2}, slots())

	g.leave(atts[0]) // a slot comes free: the first in line has it
	require.Equal(t, slotHeld, atts[2].slot)
	require.Equal(t, slotQueued, atts[4].slot)
	select {
	case <-atts[2].slotReady:
	default:
		t.Fatal("the first in line was not told")
	}
	require.True(t, g.await(atts[2]))
	g.leave(atts[0]) // given back already: nothing
	require.Equal(t, ConnectSlots{Limit: 2, InFlight: 2, Waiting: 1}, slots())

	g.leave(atts[1])
	require.Equal(t, slotHeld, atts[4].slot)
	require.Equal(t, ConnectSlots{Limit: 2, InFlight: 2, Waiting: 0}, slots())
	g.leave(atts[2])
	g.leave(atts[4])
	require.Equal(t, ConnectSlots{Limit: 2, InFlight: 0, Waiting: 0}, slots())
	require.Nil(t, g.head)
	require.Nil(t, g.tail)

	var none *dialGate = newDialGate(-1)
	require.Nil(t, none, "a negative limit: no gate")
	ok, _ := none.enter(atts[0])
	require.True(t, ok)
	none.leave(atts[0])
	require.False(t, none.neverAdmitted(atts[0]))
	require.Equal(t, DefaultMaxConcurrentConnects, newDialGate(0).limit)
}

// An attempt that ends while it waits leaves the line with no slot; one
// that ends as its slot comes gives it to the next in line.
func TestDialGateAwaitEndsWithTheAttempt(t *testing.T) {
	g := newDialGate(1)
	holder := &dialAttempt{deadline: time.Now().Add(time.Hour)}
	ok, _ := g.enter(holder)
	require.True(t, ok)

	waiter := &dialAttempt{deadline: time.Now().Add(time.Hour)}
	ok, _ = g.enter(waiter)
	require.False(t, ok)
	waiter.end(context.Canceled)
	require.False(t, g.await(waiter))
	require.True(t, g.neverAdmitted(waiter))
	require.Equal(t, 0, g.waiting)

	late := &dialAttempt{deadline: time.Now().Add(time.Hour)}
	next := &dialAttempt{deadline: time.Now().Add(time.Hour)}
	ok, _ = g.enter(late)
	require.False(t, ok)
	ok, _ = g.enter(next)
	require.False(t, ok)
	g.leave(holder) // late gets the slot...
	late.end(context.DeadlineExceeded)
	require.False(t, g.await(late)) // ...but ended: next has it
	require.Equal(t, slotHeld, next.slot)
	require.True(t, g.await(next))
	require.Equal(t, 1, g.inFlight)
	require.Equal(t, 0, g.waiting)
}

// holdSlot starts, on e, a Connect whose dial waits until its attempt
// ends: it holds one of the engine's connection slots until the test
// closes it. It returns once the attempt holds its slot.
func holdSlot(t *testing.T, e *Engine) *Conn {
	t.Helper()
	before := e.ConnectSlots().InFlight
	c := mustConn(t, e, ConnOptions{})
	t.Cleanup(c.Close)
	go func() {
		_, _ = c.Connect(context.Background(), ConnectConfig{Addr: "127.0.0.1:1", ConnectTimeout: time.Hour,
			Dial: func(ctx context.Context, _, _ string) (net.Conn, error) { <-ctx.Done(); return nil, ctx.Err() }})
	}()
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

// A Connect that waits for a slot is bounded by its connect timeout (it
// fails as timed out, saying it waited for a slot) and by its context;
// either way it leaves the line and takes nothing from the attempt that
// holds the slot.
func TestConnectWaitingForASlotHonoursItsTimeoutAndContext(t *testing.T) {
	b := newSim(t)
	e := engineFor(t, 1)
	holder := holdSlot(t, e)

	t.Run("timeout", func(t *testing.T) {
		rec := newRecorder()
		c := mustConn(t, e, ConnOptions{Sink: rec.add})
		defer c.Close()
		_, err := c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr(), ConnectTimeout: 50 * time.Millisecond})
		require.ErrorIs(t, err, ErrTimeout)
		require.ErrorContains(t, err, "waited the whole connect timeout for one of the engine's 1 connection slots")
		require.Equal(t, ConnectSlots{Limit: 1, InFlight: 1, Waiting: 0}, e.ConnectSlots())
		require.Equal(t, int64(1), c.Stats().ConnectsQueued)
		ev := waitEvent(t, rec, func(e *ConnectionStatusEvent) bool { return e.Status == "queued" })
		require.Contains(t, ev.Detail, "0 attempts ahead")
		require.Zero(t, count(rec, func(e *ConnectionStatusEvent) bool { return e.Status == "dialing" }), "never dialed")
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testCtx(t))
		c := mustConn(t, e, ConnOptions{Sink: func(ev Event) {
			if s, ok := ev.(*ConnectionStatusEvent); ok && s.Status == "queued" {
				cancel()
			}
		}})
		defer c.Close()
		_, err := c.Connect(ctx, ConnectConfig{Addr: b.Addr(), ConnectTimeout: time.Hour})
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorContains(t, err, "still waiting for one of the engine's 1 connection slots")
		require.Equal(t, Disconnected, c.State())
		require.Equal(t, ConnectSlots{Limit: 1, InFlight: 1, Waiting: 0}, e.ConnectSlots())
	})
	t.Run("context deadline", func(t *testing.T) {
		c := mustConn(t, e, ConnOptions{})
		defer c.Close()
		ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
		defer cancel()
		_, err := c.Connect(ctx, ConnectConfig{Addr: b.Addr(), ConnectTimeout: time.Hour})
		require.ErrorIs(t, err, ErrTimeout)
		require.ErrorContains(t, err, "still waiting for one of the engine's 1 connection slots")
		require.Equal(t, ConnectSlots{Limit: 1, InFlight: 1, Waiting: 0}, e.ConnectSlots())
	})

	// The slot comes free: the next Connect has it at once.
	holder.Close()
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())
	c := mustConn(t, e, ConnOptions{})
	defer c.Close()
	connectTo(t, c, b.Addr(), ConnectConfig{ConnectTimeout: time.Hour})
	require.Zero(t, c.Stats().ConnectsQueued)
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots(), "CONNECTED gave the slot back")
}

// Disconnect, Interrupt and Close of a client whose attempt waits for a
// slot return at once (not at its connect timeout, an hour away), end
// its Connect, and give back nothing: the holder keeps its slot, and the
// next attempt waits for it as before.
func TestEndingAClientWaitingForASlotReturnsPromptlyAndGivesBackNothing(t *testing.T) {
	b := newSim(t)
	e := engineFor(t, 1)
	holder := holdSlot(t, e)

	for _, end := range []struct {
		name string
		fn   func(c *Conn)
		want error
	}{
		{"Disconnect", func(c *Conn) { require.NoError(t, c.Disconnect(testCtx(t), true, time.Hour)) }, ErrInterrupted},
		{"Interrupt", func(c *Conn) { c.Interrupt() }, ErrInterrupted},
		{"Close", func(c *Conn) { c.Close() }, ErrClosed},
	} {
		t.Run(end.name, func(t *testing.T) {
			c := mustConn(t, e, ConnOptions{})
			defer c.Close()
			connected := make(chan error, 1)
			go func() {
				_, err := c.Connect(context.Background(), ConnectConfig{Addr: b.Addr(), ConnectTimeout: time.Hour,
					Reconnect: ReconnectPolicy{Enabled: true}})
				connected <- err
			}()
			waitFor(t, "the attempt to wait in line", func() bool { return e.ConnectSlots().Waiting == 1 })
			ended := make(chan struct{})
			go func() { end.fn(c); close(ended) }()
			recv(t, ended, end.name+" to return")
			require.ErrorIs(t, recv(t, connected, "Connect to return"), end.want)
			require.Equal(t, ConnectSlots{Limit: 1, InFlight: 1, Waiting: 0}, e.ConnectSlots())
		})
	}

	// The holder's slot is still the only one: the next attempt waits.
	next := mustConn(t, e, ConnOptions{})
	defer next.Close()
	connected := make(chan error, 1)
	go func() {
		_, err := next.Connect(context.Background(), ConnectConfig{Addr: b.Addr(), ConnectTimeout: time.Hour})
		connected <- err
	}()
	waitFor(t, "the next attempt to wait in line", func() bool { return e.ConnectSlots().Waiting == 1 })
	holder.Close()
	require.NoError(t, recv(t, connected, "the next Connect"))
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())
}

// An attempt that fails, or whose session panics mid-handshake, gives
// its slot back.
func TestFailedAndPanickedAttemptsGiveTheirSlotBack(t *testing.T) {
	b := newSim(t)
	e := engineFor(t, 1)

	c := mustConn(t, e, ConnOptions{})
	defer c.Close()
	refused := errors.New("refused by the test")
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr(),
		Dial: func(context.Context, string, string) (net.Conn, error) { return nil, refused }})
	require.ErrorIs(t, err, refused)
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())

	var panicked atomic.Bool
	p := mustConn(t, e, ConnOptions{Sink: func(ev Event) {
		// "connecting": CONNECT is queued on the new socket.
		if s, ok := ev.(*ConnectionStatusEvent); ok && s.Status == "connecting" && panicked.CompareAndSwap(false, true) {
			panic("a sink that fails mid-handshake")
		}
	}})
	defer p.Close()
	_, err = p.Connect(testCtx(t), ConnectConfig{Addr: b.Addr()})
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "internal error"), err.Error())
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())

	connectTo(t, p, b.Addr(), ConnectConfig{})
	require.Equal(t, ConnectSlots{Limit: 1}, e.ConnectSlots())
}
