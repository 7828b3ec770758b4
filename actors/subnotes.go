package actors

import (
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
// applies in the line of its id, in its own order, and the caller settles
// its note with its outcome.
//
// No caller waits for another's outcome: when a call's note is settled
// with success while notes placed before it in its line are still
// pending (their callers wait for a RECEIPT, say), those are resolved
// from what the session applied, as successes (the session made, or
// ended, those subscriptions), and the line goes to the sink up to the
// settled note at once. A Subscribe that then fails (its RECEIPT late)
// has had its SubscribedEvent, followed by the UnsubscribedEvent of the
// call that ended it. An Unsubscribe's note is always a success once
// placed (the session ended the subscription as it placed it, whatever
// the UNSUBSCRIBE's fate), and is told even if its caller gave up before
// the session took the request. So the events of one id come in the
// order the session applied the calls, the last says whether
// Subscriptions lists the id, and a call's own event is queued when it
// returns. It costs a note per Subscribe and Unsubscribe, and nothing per
// message.

// subNote is the event of one Subscribe or Unsubscribe. Its fields are
// guarded by subCalls.mu.
type subNote struct {
	ev      Event // set as the session places it
	placed  bool  // in its id's line
	settled bool  // its outcome is known (or resolved, see above)
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
}

func newSubNote() *subNote { return new(subNote) }

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
// id's line, with its event ev (after: see subNote). A Subscribed note its
// caller already settled (it gave up before the session took the request)
// is not placed: it failed, and its caller undoes the subscription. An
// Unsubscribed note (after != nil, or ev an UnsubscribedEvent) whose
// caller gave up first is placed and told all the same: the session ended
// the subscription.
func (c *Conn) place(id string, n *subNote, ev Event, after *subNote) {
	if n == nil {
		return
	}
	ns := c.calls()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	_, end := ev.(*UnsubscribedEvent)
	if n.settled && !end {
		return
	}
	n.ev, n.after, n.placed = ev, after, true
	if ns.lines == nil {
		ns.lines = make(map[string][]*subNote)
	}
	ns.lines[id] = append(ns.lines[id], n)
	if n.settled {
		n.ok = true
		c.tell(ns, id, n)
	}
}

// settle records the outcome of n's call (ok: it succeeded) and tells the
// notes of id up to n (see above), unless n was settled already.
func (c *Conn) settle(id string, n *subNote, ok bool) {
	ns := c.calls()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if n.settled {
		return
	}
	n.settled, n.ok = true, ok
	if n.placed {
		c.tell(ns, id, n)
	}
}

// tell resolves, when n (placed and settled) succeeded, the notes placed
// before it that are still pending as the session applied them, then
// tells the settled notes at the front of id's line. Called with ns.mu
// held.
func (c *Conn) tell(ns *subCalls, id string, n *subNote) {
	line := ns.lines[id]
	if n.ok {
		for _, m := range line {
			if m == n {
				break
			}
			if !m.settled {
				m.settled, m.ok = true, true
			}
		}
	}
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
	}
	if len(line) == 0 {
		delete(ns.lines, id)
	} else {
		ns.lines[id] = line
	}
}

// announce tells ev, of id, in its turn: an end the session takes no part
// in (the leftovers of a Pull subscription a Disconnect ended).
func (c *Conn) announce(id string, ev Event) {
	n := newSubNote()
	c.place(id, n, ev, nil)
	c.settle(id, n, true)
}

// voidEnded marks as void the Subscribed notes not told yet of the
// subscriptions a placed Unsubscribe already ended (no longer the
// session's, so voidNote does not see them): the connection ended, and
// told after its DisconnectedEvent (as the Unsubscribe's caller settles,
// see above) they would say the id was made anew. Their Unsubscribed
// notes are dropped with them (after). Those are the Subscribed notes
// with a note behind them in their line.
func (c *Conn) voidEnded() {
	sc := c.subs.Load()
	if sc == nil {
		return
	}
	sc.mu.Lock()
	for _, line := range sc.lines {
		for _, n := range line[:len(line)-1] {
			if _, made := n.ev.(*SubscribedEvent); made && !n.went {
				n.void = true
			}
		}
	}
	sc.mu.Unlock()
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
