package sim

import "github.com/stompactor/stompactor/frames"

// ackFrame handles ACK and NACK: now, or held in their transaction.
func (st *state) ackFrame(s *session, m *message) error {
	f := &m.frame
	if f.Command == frames.CmdNack && s.version < frames.V11 {
		return protoErr("NACK needs STOMP 1.1", "NACK is not part of STOMP 1.0.")
	}
	d, err := st.findDelivery(s, f)
	if err != nil {
		return err
	}
	if id, ok := f.Headers.Get(frames.HdrTransaction); ok {
		return st.hold(s, id, m)
	}
	st.settle(d, f.Command == frames.CmdNack)
	return nil
}

// findDelivery finds the delivery an ACK or NACK names: by the ack id in
// 1.2 (header id), by message-id and subscription in 1.1, by message-id
// alone in 1.0.
func (st *state) findDelivery(s *session, f *frames.Frame) (*delivery, error) {
	switch {
	case s.version >= frames.V12:
		id, ok := f.Headers.Get(frames.HdrID)
		if !ok {
			return nil, protoErr("missing id header", "%s needs an id header in STOMP 1.2.", f.Command)
		}
		if d := s.acks[id]; d != nil {
			return d, nil
		}
		return nil, protoErr("unknown ack id", "No unacknowledged message has ack id %q.", id)
	case s.version == frames.V11:
		mid, ok1 := f.Headers.Get(frames.HdrMessageID)
		sid, ok2 := f.Headers.Get(frames.HdrSubscription)
		if !ok1 || !ok2 {
			return nil, protoErr("missing message-id or subscription header",
				"%s needs message-id and subscription headers in STOMP 1.1.", f.Command)
		}
		sub := s.subs[sid]
		if sub == nil {
			return nil, protoErr("unknown subscription", "There is no subscription %q.", sid)
		}
		if d := sub.unacked[mid]; d != nil {
			return d, nil
		}
		return nil, protoErr("unknown message-id", "Subscription %q has no unacknowledged message %q.", sid, mid)
	default:
		mid, ok := f.Headers.Get(frames.HdrMessageID)
		if !ok {
			return nil, protoErr("missing message-id header", "ACK needs a message-id header in STOMP 1.0.")
		}
		for _, sub := range s.subList {
			if d := sub.unacked[mid]; d != nil {
				return d, nil
			}
		}
		return nil, protoErr("unknown message-id", "No unacknowledged message has message-id %q.", mid)
	}
}

// settle acknowledges (or, for a NACK, rejects) a delivery. In client mode
// it also settles every earlier unsettled delivery of the subscription.
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
		delete(sub.unacked, x.msg.id)
		if x.ackID != "" {
			delete(s.acks, x.ackID)
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
