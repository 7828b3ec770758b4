package actors

// Giving leftovers back. A Pull subscription that took over a
// Disconnect's leftovers (takeOver) does so as the session handles its
// Subscribe, before the SUBSCRIBE is written: Receive then finds them
// first, with nothing of its own ahead of them. When that Subscribe
// fails (no RECEIPT in time, a broker ERROR, the caller's context, the
// writer refusing the frame), or the subscription ends other than by
// Unsubscribe or a Disconnect that leaves them anyway (its connection
// lost for good, a reconnect given up, Close), the ones it still holds go
// back to the leftovers of its id, in order, as if it had never taken
// them: the broker counted them consumed, so they are the user's until
// Receive takes them or Close or Unsubscribe drops them (counted; Close
// right away). A handler's subscription cannot give them back: they are
// in its mailbox, or its handler, at once (pullleft.go).

// giveBackIf gives back what e took over, when undo is set (a failed
// Subscribe ends e); see giveBack.
func (s *session) giveBackIf(undo bool, e *subEntry) *route {
	if !undo {
		return nil
	}
	return s.giveBack(e)
}

// giveBack takes out of e's queue the leftovers it took over and still
// holds, and returns them on a route of their own (ended, as any
// leftovers' route) for the caller to publish among the leftovers
// before e's route ends; nil when there are none. A fresh route, not the
// one they came from: a caller of Receive that found that one drained
// forgets it (forgetLeft), which must not take these with it.
func (s *session) giveBack(e *subEntry) *route {
	old := e.tookOver
	if old == nil {
		return nil
	}
	e.tookOver = nil
	rt := e.route
	// Its own messages point to rt; the leftovers to the route they
	// came on.
	ps := rt.pull.takeOut(func(p *pulled) bool { return p.m.rt != rt })
	if len(ps) == 0 {
		return nil
	}
	back := newRoute(old.spec)
	back.end()
	for _, p := range ps {
		rt.release(p.m.size)
		back.queued.Add(1)
		back.bytes.Add(p.m.size)
	}
	back.pull.prepend(ps)
	return back
}

// takeOut takes the messages out selects out of q, in order, and keeps
// the others in order.
func (q *pullQueue) takeOut(out func(*pulled) bool) []pulled {
	q.mu.Lock()
	defer q.mu.Unlock()
	msgs := q.msgs[q.head:]
	var taken []pulled
	n := 0
	for i := range msgs {
		if out(&msgs[i]) {
			taken = append(taken, msgs[i])
			continue
		}
		msgs[n] = msgs[i]
		n++
	}
	clear(msgs[n:])
	q.msgs, q.head = msgs[:n], 0
	return taken
}
