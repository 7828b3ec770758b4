package actors

import (
	"context"
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
	require.Equal(t, slotWithdrawn, waiter.slot)
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
