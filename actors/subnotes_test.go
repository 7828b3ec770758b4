package actors

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// subEvents lists the Subscribed and Unsubscribed events rec holds, as
// "+id" and "-id", in order.
func subEvents(rec *recorder) []string {
	var out []string
	for _, e := range rec.all() {
		switch e := e.(type) {
		case *SubscribedEvent:
			out = append(out, "+"+e.ID)
		case *UnsubscribedEvent:
			out = append(out, "-"+e.ID)
		}
	}
	return out
}

// The notes of one id are told in the order they were placed, whichever
// is settled first; a failed one is dropped, and so is the end of a
// subscription whose making was not told (failed, or void: its
// connection ended first); ids do not wait for each other; a note settled
// before it is placed (its caller gave up) is never placed.
func TestSubscriptionNotesAreToldInPlaceOrder(t *testing.T) {
	c, rec := newTestClient(t, ConnOptions{})
	sub := func(id string) *subNote {
		n := newSubNote()
		c.place(id, n, &SubscribedEvent{ID: id}, nil)
		return n
	}
	unsub := func(id string, made *subNote) *subNote {
		n := newSubNote()
		c.place(id, n, &UnsubscribedEvent{ID: id}, made)
		return n
	}
	isDone := func(n *subNote) bool {
		select {
		case <-n.done:
			return true
		default:
			return false
		}
	}

	// The Unsubscribe's caller wakes first: its event waits.
	a1 := sub("a")
	a2 := unsub("a", a1)
	b1 := sub("b")
	c.settle("a", a2, true)
	require.False(t, isDone(a2), "told before the Subscribed placed ahead of it")
	c.settle("b", b1, true)
	require.Equal(t, []string{"+b"}, subEvents(rec), "another id does not wait")
	c.settle("a", a1, true)
	require.True(t, isDone(a1) && isDone(a2))
	require.Equal(t, []string{"+b", "+a", "-a"}, subEvents(rec))

	// A Subscribe that failed: neither its making nor its end is told.
	f1 := sub("f")
	f2 := unsub("f", f1)
	c.settle("f", f2, true)
	c.settle("f", f1, false)
	require.True(t, isDone(f1) && isDone(f2))

	// Void: the connection ended before the Subscribe's caller woke.
	v1 := sub("v")
	c.voidNote(v1)
	c.settle("v", v1, true)
	require.True(t, isDone(v1))

	// Settled before placed (the caller gave up first): never placed.
	g := newSubNote()
	c.settle("g", g, false)
	require.True(t, isDone(g))
	c.place("g", g, &SubscribedEvent{ID: "g"}, nil)

	require.Equal(t, []string{"+b", "+a", "-a"}, subEvents(rec))
	c.calls().mu.Lock()
	lines := len(c.calls().lines)
	c.calls().mu.Unlock()
	require.Zero(t, lines, "lines left behind")
}
