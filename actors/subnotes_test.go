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

// The notes of one id are told in the order they were placed; a note
// settled with success tells the notes placed before it at once, those
// still pending resolved as the session applied them (no call waits for
// another's outcome); a failed Subscribed note is dropped, and so is the
// end of a subscription whose making was not told (failed, or void: its
// connection ended first); ids do not wait for each other; a Subscribed
// note settled before it is placed (its caller gave up) is never placed,
// an Unsubscribed one is placed and told.
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
	lines := func() int {
		c.calls().mu.Lock()
		defer c.calls().mu.Unlock()
		return len(c.calls().lines)
	}

	// The Unsubscribe's caller wakes first: the Subscribed placed ahead
	// of it, still pending, is told as the session made it, then its own.
	a1 := sub("a")
	a2 := unsub("a", a1)
	b1 := sub("b")
	c.settle("a", a2, true)
	require.Equal(t, []string{"+a", "-a"}, subEvents(rec), "the Unsubscribe's event waited for the Subscribe's outcome")
	c.settle("a", a1, false) // that Subscribe fails later: already told
	require.Equal(t, []string{"+a", "-a"}, subEvents(rec))
	// Another id is told on its own.
	b2 := unsub("b", b1)
	c.settle("b", b1, true)
	require.Equal(t, []string{"+a", "-a", "+b"}, subEvents(rec))
	c.settle("b", b2, true)
	require.Equal(t, []string{"+a", "-a", "+b", "-b"}, subEvents(rec))

	// A Subscribe that failed first: neither its making nor its end is
	// told.
	f1 := sub("f")
	c.settle("f", f1, false)
	f2 := unsub("f", f1)
	c.settle("f", f2, true)

	// A failed Subscribed note behind a pending one waits, and tells
	// nothing.
	h1 := sub("h")
	h2 := unsub("h", h1)
	h3 := sub("h")
	c.settle("h", h3, false)
	require.Equal(t, []string{"+a", "-a", "+b", "-b"}, subEvents(rec))
	c.settle("h", h1, true)
	c.settle("h", h2, true)
	require.Equal(t, []string{"+a", "-a", "+b", "-b", "+h", "-h"}, subEvents(rec))

	// Void: the connection ended before the Subscribe's caller woke.
	v1 := sub("v")
	c.voidNote(v1)
	c.settle("v", v1, true)

	// Settled before placed (the caller gave up first): a Subscribed
	// note is never placed, an Unsubscribed one is told.
	g := newSubNote()
	c.settle("g", g, false)
	c.place("g", g, &SubscribedEvent{ID: "g"}, nil)
	require.Equal(t, []string{"+a", "-a", "+b", "-b", "+h", "-h"}, subEvents(rec))
	u1 := sub("u")
	c.settle("u", u1, true)
	u2 := newSubNote()
	c.settle("u", u2, false)
	c.place("u", u2, &UnsubscribedEvent{ID: "u"}, u1)

	require.Equal(t, []string{"+a", "-a", "+b", "-b", "+h", "-h", "+u", "-u"}, subEvents(rec))

	// The connection ends while a Subscribe and the Unsubscribe that
	// ended its subscription both wait: neither is told after the
	// DisconnectedEvent.
	d1 := sub("d")
	d2 := unsub("d", d1)
	c.voidEnded()
	c.settle("d", d2, true)
	c.settle("d", d1, true)
	require.Equal(t, []string{"+a", "-a", "+b", "-b", "+h", "-h", "+u", "-u"}, subEvents(rec))
	require.Zero(t, lines(), "lines left behind")
}
