package actors

import (
	"context"
	"sync"
	"sync/atomic"
)

// The Subscribed and Unsubscribed events, in the order the session made
// and ended the subscriptions.
//
// Whether such an event is told depends on the call's outcome (a
// SUBSCRIBE written, or confirmed by its RECEIPT), which the caller hears
// from the writer or the receipt book, not the session; callers that
// emitted on waking told two racing calls on one id in the order they
// woke. So the session places a note for each Subscribe and Unsubscribe it
// applies in the line of its id, in its own order; the caller settles its
// note with its outcome; and the notes at the front of a line that are
// settled go to the sink, or are dropped, in line order. The events of one
// id thus come in the order the session applied the calls, whichever
// caller wakes first. It costs a note per Subscribe and Unsubscribe, and
// nothing per message.

// subNote is the event of one Subscribe or Unsubscribe. Its fields are
// guarded by subCalls.mu, but for done.
type subNote struct {
	ev      Event // set as the session places it
	placed  bool  // in its id's line
	settled bool  // its caller knows the outcome
	ok      bool  // the outcome was success: the event is told in its turn
	// void: the subscription ended with its connection (Disconnect, a
	// loss without Reconnect, Close) before its Subscribed event was
	// told; the DisconnectedEvent said that it ended, so it is not told
	// after.
	void bool
	// went: the event went to the sink (or would have, had the sink
	// wanted it).
	went bool
	// after is, on an Unsubscribed note, the Subscribed note of the
	// subscription it ended: the end is told only if the making was.
	after *subNote
	done  chan struct{} // closed once the note went or was dropped
}

func newSubNote() *subNote { return &subNote{done: make(chan struct{})} }

// subCalls is what the Subscribe and Unsubscribe calls of a Conn share,
// made by the first (Conn.calls): the numbers of automatic ids, and the
// lines of the notes not yet told, by id.
type subCalls struct {
	seq   atomic.Uint64
	mu    sync.Mutex
	lines map[string][]*subNote
}

// calls returns the Conn's subCalls, making them on first use (behind a
// pointer: an idle Conn keeps its size class, footprint_test.go).
func (c *Conn) calls() *subCalls {
	if sc := c.subs.Load(); sc != nil {
		return sc
	}
	if sc := new(subCalls); c.subs.CompareAndSwap(nil, sc) {
		return sc
	}
	return c.subs.Load()
}

// place puts n, the note of a call the session applies now, at the end of
// id's line, with its event ev (after: see subNote). A note its caller
// already settled (it gave up before the session took the request) is
// not placed: it failed.
func (c *Conn) place(id string, n *subNote, ev Event, after *subNote) {
	if n == nil {
		return
	}
	ns := c.calls()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if n.settled {
		return
	}
	n.ev, n.after, n.placed = ev, after, true
	if ns.lines == nil {
		ns.lines = make(map[string][]*subNote)
	}
	ns.lines[id] = append(ns.lines[id], n)
}

// settle records the outcome of n's call (ok: it succeeded) and tells the
// notes of id that are now at the front of its line and settled.
func (c *Conn) settle(id string, n *subNote, ok bool) {
	ns := c.calls()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if n.settled {
		return
	}
	n.settled, n.ok = true, ok
	if !n.placed {
		close(n.done) // the session never applied it: nothing to tell
		return
	}
	line := ns.lines[id]
	for len(line) > 0 && line[0].settled {
		m := line[0]
		line[0] = nil
		line = line[1:]
		if m.ok && !m.void && (m.after == nil || m.after.went) {
			m.went = true
			// The sink must not block (Event): it is called under
			// ns.mu, so that the events of one id reach it in order.
			if c.emitting(m.ev) {
				c.emit(m.ev)
			}
		}
		close(m.done)
	}
	if len(line) == 0 {
		delete(ns.lines, id)
	} else {
		ns.lines[id] = line
	}
}

// announce tells ev, of id, in its turn: an end the session takes no part
// in (the leftovers of a Pull subscription a Disconnect ended). It
// returns its note, for wait.
func (c *Conn) announce(id string, ev Event) *subNote {
	n := newSubNote()
	c.place(id, n, ev, nil)
	c.settle(id, n, true)
	return n
}

// voidNote marks the Subscribed note n of a subscription that ends with
// its connection: if not told yet, it never is.
func (c *Conn) voidNote(n *subNote) {
	if n == nil {
		return
	}
	sc := c.calls()
	sc.mu.Lock()
	if !n.went {
		n.void = true
	}
	sc.mu.Unlock()
}

// waitNote waits until n went to the sink or was dropped: a call returns
// once its event is queued, behind those of its id that came first (their
// callers settle them as they wake), bounded by ctx and Close.
func (c *Conn) waitNote(ctx context.Context, n *subNote) {
	select {
	case <-n.done:
	case <-ctx.Done():
	case <-c.closed:
	}
}
