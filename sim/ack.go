package sim

import "github.com/stompactor/stompactor/frames"

// ackFrame handles ACK and NACK: now, or held in their transaction.
func (st *state) ackFrame(s *session, m *message) error {
	f := &m.frame
	if f.Command == frames.CmdNack && s.version < frames.V11 {
		return protoErr("NACK needs STOMP 1.1", "NACK is not part of STOMP 1.0.")
	}
	if _, _, err := st.findDelivery(s, f); err != nil {
		return err
	}
	if id, ok := f.Headers.Get(frames.HdrTransaction); ok {
		return st.hold(s, id, m)
	}
	st.apply(s, f)
	return nil
}

// apply settles what an ACK or NACK names, if it still names something.
//
// A copy sent by a DuplicateMessage or RedeliverMessage fault is a
// delivery of the same message: the first ACK or NACK of the original or
// of a copy settles the message; a later ACK or NACK of one of the others
// is accepted and does nothing. In 1.2 each copy has an ack id of its own,
// forgotten once it is itself acknowledged. In 1.0 and 1.1, where ACK
// names the message-id that copies share, the first ACK or NACK of that
// message-id settles the message, and each copy sent leaves the
// subscription one spare ACK or NACK of it to accept (sub.spare). A
// spare is spent before a later delivery of the same message-id (the
// redelivery after a NACK) is settled, so a copy's ACK never settles that
// redelivery. A cumulative ACK (client mode) that settles a message by
// naming a later one forgets its copies too.
func (st *state) apply(s *session, f *frames.Frame) {
	d, spare, err := st.findDelivery(s, f)
	if err != nil {
		return
	}
	if spare != nil {
		spare.spendCopy(f.Header(frames.HdrMessageID))
		return
	}
	if !d.done {
		st.settle(d, f.Command == frames.CmdNack)
	}
	if s.version >= frames.V12 {
		// The id named is spent; the other copies' stay acceptable.
		id := f.Header(frames.HdrID)
		delete(s.acks, id)
		d.copies = deleteString(d.copies, id)
	}
}

// spendCopy spends one spare ACK or NACK of message-id mid.
func (sub *subscription) spendCopy(mid string) {
	if n := sub.spare[mid]; n > 1 {
		sub.spare[mid] = n - 1
	} else {
		delete(sub.spare, mid)
	}
}

// deleteString removes the first x from list.
func deleteString(list []string, x string) []string {
	for i, y := range list {
		if y == x {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// copySent registers a copy of a delivery that a DuplicateMessage or
// RedeliverMessage fault sent: in 1.2 its own ack id, before 1.2 one more
// ACK or NACK of the message-id to accept once the delivery is settled
// (see apply).
func (st *state) copySent(s *session, ev *copySent) {
	if s.state == stateClosing {
		return
	}
	if ev.orig != "" {
		if d := s.acks[ev.orig]; d != nil {
			s.acks[ev.copy] = d
			d.copies = append(d.copies, ev.copy)
		}
		return
	}
	if sub := s.subs[ev.sub]; sub != nil {
		if d := sub.unacked[ev.mid]; d != nil && !d.done {
			d.extra++
		}
	}
}

// findDelivery finds the delivery an ACK or NACK names: by the ack id in
// 1.2 (header id), by message-id and subscription in 1.1, by message-id
// alone in 1.0. Before 1.2 a spare copy of the message-id (see apply)
// comes first: then it returns the subscription that holds it and no
// delivery.
func (st *state) findDelivery(s *session, f *frames.Frame) (*delivery, *subscription, error) {
	switch {
	case s.version >= frames.V12:
		id, ok := f.Headers.Get(frames.HdrID)
		if !ok {
			return nil, nil, protoErr("missing id header", "%s needs an id header in STOMP 1.2.", f.Command)
		}
		if d := s.acks[id]; d != nil {
			return d, nil, nil
		}
		return nil, nil, protoErr("unknown ack id", "No unacknowledged message has ack id %q.", id)
	case s.version == frames.V11:
		mid, ok1 := f.Headers.Get(frames.HdrMessageID)
		sid, ok2 := f.Headers.Get(frames.HdrSubscription)
		if !ok1 || !ok2 {
			return nil, nil, protoErr("missing message-id or subscription header",
				"%s needs message-id and subscription headers in STOMP 1.1.", f.Command)
		}
		sub := s.subs[sid]
		if sub == nil {
			return nil, nil, protoErr("unknown subscription", "There is no subscription %q.", sid)
		}
		if sub.spare[mid] > 0 {
			return nil, sub, nil
		}
		if d := sub.unacked[mid]; d != nil {
			return d, nil, nil
		}
		return nil, nil, protoErr("unknown message-id", "Subscription %q has no unacknowledged message %q.", sid, mid)
	default:
		mid, ok := f.Headers.Get(frames.HdrMessageID)
		if !ok {
			return nil, nil, protoErr("missing message-id header", "ACK needs a message-id header in STOMP 1.0.")
		}
		for _, sub := range s.subList {
			if sub.spare[mid] > 0 {
				return nil, sub, nil
			}
		}
		for _, sub := range s.subList {
			if d := sub.unacked[mid]; d != nil {
				return d, nil, nil
			}
		}
		return nil, nil, protoErr("unknown message-id", "No unacknowledged message has message-id %q.", mid)
	}
}

// settle acknowledges (or, for a NACK, rejects) a delivery d; apply is its
// caller, which spends the ack id named. In client mode it also settles
// every earlier unsettled delivery of the subscription, whose ids go.
// Rejected messages go back to the front of their queue (or topic
// subscription), in order, marked redelivered.
func (st *state) settle(d *delivery, nack bool) {
	if d.done {
		return
	}
	sub := d.sub
	s := sub.s
	var list []*delivery
	if sub.mode == ackClient {
		for _, x := range sub.order {
			if !x.done {
				list = append(list, x)
			}
			if x == d {
				break
			}
		}
	} else {
		list = []*delivery{d}
	}
	for _, x := range list {
		x.done = true
		if sub.unacked[x.msg.id] == x {
			delete(sub.unacked, x.msg.id)
		}
		if x == d && x.extra > 0 {
			// Before 1.2 the copies of d leave spare ACKs of its
			// message-id (see apply); those of a message settled by
			// naming a later one are forgotten.
			if sub.spare == nil {
				sub.spare = make(map[string]int)
			}
			sub.spare[x.msg.id] += x.extra
		}
		x.extra = 0
		if x != d {
			// d's own ids are spent by apply, one by one.
			if x.ackID != "" {
				delete(s.acks, x.ackID)
			}
			for _, id := range x.copies {
				delete(s.acks, id)
			}
			x.copies = nil
		}
	}
	sub.nUnacked -= len(list)
	sub.compact()
	if nack {
		st.counters.Nacked += uint64(len(list))
		st.counters.Redelivered += uint64(len(list))
		for i := len(list) - 1; i >= 0; i-- {
			e := entry{msg: list[i].msg, redelivered: true}
			if sub.dest.kind == kindQueue {
				sub.dest.ready.pushFront(e)
			} else {
				sub.pending.pushFront(e)
			}
		}
		st.queued += len(list)
	} else {
		st.counters.Acked += uint64(len(list))
	}
	st.dispatchSub(sub)
}

// compact drops settled deliveries from the subscription's order once they
// outnumber the unsettled ones.
func (sub *subscription) compact() {
	if len(sub.order) < 2*sub.nUnacked+16 {
		return
	}
	keep := sub.order[:0]
	for _, x := range sub.order {
		if !x.done {
			keep = append(keep, x)
		}
	}
	clear(sub.order[len(keep):])
	sub.order = keep
}
