package actors

import (
	"slices"

	"github.com/asynkron/protoactor-go/actor"
)

// Leftovers of pull subscriptions. The broker counts an auto-ack message
// consumed once it sent it, so the ones a pull subscription received and
// nobody took with Receive yet would be lost for good when a Disconnect
// ends the subscription. Instead the ended route stays reachable by
// Receive (routes.left, beside the live routes the reader uses) until
// its queue is drained, as a closed channel still gives what it holds:
// Receive returns them in order, then ErrUnknownSubscription. Their
// places and bytes stay counted on the route, within its bounds, and
// nothing new is added to them.
//
// The rules:
//   - Only a Disconnect leaves leftovers (whatever way it ends: RECEIPT,
//     the broker closing, its timeout), and only of auto-ack pull
//     subscriptions: messages that need an ACK are dropped as before (the
//     broker redelivers them). A connection lost or interrupted with no
//     Disconnect under way, or a reconnect policy giving up, ends
//     subscriptions as before.
//   - Close drops them (counted in Stats.Dropped): the user asked to end.
//   - Unsubscribe of the id drops them (counted too), even disconnected.
//   - A later subscription with the same id takes them over: they come
//     first, then its own messages (from Receive, or its handler for a
//     subscription with one). A Pull one gives back those it still holds
//     if its Subscribe fails, or if it ends other than by Unsubscribe or
//     a Disconnect that leaves them anyway (pullgiveback.go). A
//     handler's gets them in its mailbox at once: if its Subscribe
//     fails, the handler is still given them, as Unsubscribe hands
//     over (handover.go); those not yet handled when its connection
//     ends for good are counted dropped (skipsAfterEnd).
//   - A drained route is let go by the Receive that took its last message.

// setRoutes publishes list as the live routes, with the leftovers of the
// snapshot it replaces as edit returns them (nil edit: unchanged; edit
// must not change the slice it is given). Only the session calls it;
// callers of Receive (drained leftovers) and Unsubscribe take leftovers
// out meanwhile (forgetLeft), hence the compare-and-swap.
func (c *Conn) setRoutes(list []*route, edit func(left []*route) []*route) {
	for {
		old := c.routes.Load()
		left := old.leftovers()
		if edit != nil {
			left = edit(left)
		}
		var r *routes // nil when there is nothing, as before any Subscribe
		if list != nil || len(left) > 0 {
			r = newRoutes(list)
			r.setLeft(left)
		}
		if c.routes.CompareAndSwap(old, r) {
			return
		}
	}
}

// forgetLeft takes rt out of the leftovers; it reports whether this call
// did (rt was there).
func (c *Conn) forgetLeft(rt *route) bool {
	for {
		old := c.routes.Load()
		if old == nil {
			return false
		}
		left := old.leftovers()
		i := slices.Index(left, rt)
		if i < 0 {
			return false
		}
		var r *routes
		if old.list != nil || len(left) > 1 {
			r = new(routes)
			*r = *old
			r.setLeft(slices.Delete(slices.Clone(left), i, i+1))
		}
		if c.routes.CompareAndSwap(old, r) {
			return true
		}
	}
}

// leftovers lists the ended routes whose messages wait for Receive.
func (r *routes) leftovers() []*route {
	if r == nil || r.left == nil {
		return nil
	}
	return *r.left
}

// setLeft sets the leftovers (nil for none).
func (r *routes) setLeft(left []*route) {
	r.left = nil
	if len(left) > 0 {
		r.left = &left
	}
}

// findLeft returns the leftovers of subscription id, or nil.
func (r *routes) findLeft(id string) *route {
	for _, rt := range r.leftovers() {
		if rt.id == id {
			return rt
		}
	}
	return nil
}

// leavesLeftovers reports whether rt, ending with a Disconnect, has
// messages to leave to Receive.
func (rt *route) leavesLeftovers() bool {
	return rt.pull != nil && !needsAck(rt) && !rt.pull.empty()
}

// takeAll empties q for good and returns what it held, oldest first:
// closed, it queues nothing more (push), so a reader that still finds
// its ended route drops, and counts, what it would have pushed.
func (q *pullQueue) takeAll() []pulled {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	ps := slices.Clone(q.msgs[q.head:])
	clear(q.msgs)
	q.msgs, q.head = nil, 0
	return ps
}

// prepend puts ps before whatever q holds.
func (q *pullQueue) prepend(ps []pulled) {
	if len(ps) == 0 {
		return
	}
	q.mu.Lock()
	q.msgs = append(ps, q.msgs[q.head:]...)
	q.head = 0
	q.mu.Unlock()
	if q.waiting.Load() > 0 {
		q.signal()
	}
}

// dropLeft drops the messages the ended pull route rt still holds, and
// any the reader still pushes to it, counted as dropped: nobody can
// receive them any more (leftovers that Close or Unsubscribe drop, or
// the queue of a subscription that ended without leaving them). Each
// message is counted once: the queue's lock decides between this, a
// Receive that pops it, and the reader's push (pullQueue.takeAll).
func (c *Conn) dropLeft(rt *route) {
	for _, p := range rt.pull.takeAll() {
		rt.release(p.m.size)
		p.m.Release()
		c.stats.Dropped.Add(1)
	}
}

// dropLeftovers drops the leftovers of subscription id (Unsubscribe); it
// reports whether id had any.
func (c *Conn) dropLeftovers(id string) bool {
	rt := c.routes.Load().findLeft(id)
	if rt == nil || !c.forgetLeft(rt) {
		return false
	}
	c.dropLeft(rt)
	return true
}

// endSubscriptions stops every subscription: the connection ended for
// good. With leave (a Disconnect ended it), the auto-ack pull
// subscriptions' received messages stay for Receive; on Close every
// leftover is dropped. Whatever else the subscriptions hold and nobody
// will get is counted dropped: the messages queued for a handler (of
// any ack mode) that it will not be given, and those of the pull
// subscriptions that leave none.
func (s *session) endSubscriptions(ctx actor.Context, leave bool) {
	var kept, dropped []*route
	for _, e := range s.subs {
		if leave && e.route.leavesLeftovers() {
			kept = append(kept, e.route) // with what it took over
			continue
		}
		if back := s.giveBack(e); back != nil {
			kept = append(kept, back)
		}
		if e.route.pull != nil {
			dropped = append(dropped, e.route) // its own, once ended
		}
	}
	s.c.setRoutes(nil, func(left []*route) []*route {
		if s.stopping {
			dropped = append(append(slices.Clip(dropped), left...), kept...)
			return nil
		}
		if len(kept) == 0 {
			return left
		}
		return append(slices.Clip(left), kept...)
	})
	// The Subscribed notes not told yet of the subscriptions an
	// Unsubscribe ended first are not told after the DisconnectedEvent
	// (subnotes.go); those of s.subs are voided below.
	s.c.voidEnded()
	// Ended once the leftovers are published: a caller of Receive woken
	// by the end finds them.
	for _, e := range s.subs {
		// Told of by the DisconnectedEvent (or Close): a Subscribed
		// event its caller has not settled yet would come after it.
		s.c.voidNote(e.made)
		e.route.end()
		if e.sub != nil && e.route.pull == nil {
			// Its queued messages are not handled (the broker
			// counted the auto-ack ones consumed, and redelivers
			// the others): counted dropped now, in one step with the
			// actor's turn (haltTurn), since those still in its
			// mailbox go with it.
			s.c.stats.Dropped.Add(e.sub.haltTurn())
		}
		ctx.Stop(e.pid)
	}
	s.subs = nil
	s.haltHandovers(ctx)
	for _, rt := range dropped {
		s.c.dropLeft(rt)
	}
	s.wakeReadingCaller()
}

// takeOver gives the new subscription rt the leftovers of an ended one
// with its id, if any, ahead of its own messages. Called once rt is
// published and before its SUBSCRIBE is written (no message of its own
// can be queued yet, and a caller of Receive on the old route that finds
// it empty finds rt).
func (s *session) takeOver(old, rt *route) {
	// Closed: a reader that still found old drops what it pushes.
	ps := old.pull.takeAll()
	if len(ps) == 0 {
		return
	}
	var n, bytes int64
	for _, p := range ps {
		n++
		bytes += p.m.size
		old.release(p.m.size)
	}
	rt.queued.Add(n)
	rt.bytes.Add(bytes)
	if rt.pull != nil {
		rt.pull.prepend(ps)
		// A caller that found rt empty may be reading the socket for
		// it, where a prepend does not signal.
		s.wakeReadingCaller()
		return
	}
	// A handler's: batches in its mailbox, ahead of the reader's, one per
	// run of a version.
	for len(ps) > 0 {
		v := ps[0].v
		k := 1
		for k < len(ps) && k < maxBatch && ps[k].v == v {
			k++
		}
		b := newBatch(k)
		b.version = v
		for _, p := range ps[:k] {
			b.msgs = append(b.msgs, p.m)
		}
		s.c.eng.sys.Root.Send(rt.pid, b)
		ps = ps[k:]
	}
}
