package sim

import (
	"strconv"

	"github.com/stompactor/stompactor/frames"
)

// ackMode is a subscription's acknowledgement mode.
type ackMode uint8

const (
	ackAuto ackMode = iota
	ackClient
	ackClientIndividual
)

func (m ackMode) String() string {
	switch m {
	case ackClient:
		return "client"
	case ackClientIndividual:
		return "client-individual"
	}
	return "auto"
}

// subscription is one SUBSCRIBE of a session.
type subscription struct {
	s        *session
	id       string
	dest     *destination
	mode     ackMode
	prefetch int                  // most unacknowledged deliveries; 0: no limit
	pending  ring[entry]          // topics: messages waiting for this subscriber
	unacked  map[string]*delivery // by message id
	// spare counts, before 1.2, the ACKs or NACKs of a settled message's
	// message-id still accepted for the copies a fault sent (see apply).
	spare    map[string]int
	order    []*delivery // deliveries in order, settled ones pending removal
	nUnacked int
}

// delivery is a message delivered to a client-ack subscription and not
// yet acknowledged.
type delivery struct {
	msg         *message
	sub         *subscription
	ackID       string // the 1.2 ack header; "" before 1.2
	redelivered bool
	done        bool
	// Copies a DuplicateMessage or RedeliverMessage fault sent: in 1.2
	// their ack ids (in session.acks until spent), before 1.2 how many
	// (moved to subscription.spare when the delivery is settled).
	copies []string
	extra  int
}

// subscribe handles SUBSCRIBE.
func (st *state) subscribe(s *session, f *frames.Frame) error {
	name, kind, err := st.destination(f)
	if err != nil {
		return err
	}
	id, ok := f.Headers.Get(frames.HdrID)
	if !ok {
		if s.version >= frames.V11 {
			return protoErr("missing id header", "SUBSCRIBE needs an id header in STOMP %s.", s.version)
		}
		id = name
	}
	if s.subs[id] != nil {
		return protoErr("duplicate subscription id", "Subscription id %q is already in use.", id)
	}
	sub := &subscription{s: s, id: id, unacked: make(map[string]*delivery)}
	switch mode := f.Header(frames.HdrAck); mode {
	case "", "auto":
	case "client":
		sub.mode = ackClient
	case "client-individual":
		sub.mode = ackClientIndividual
	default:
		return protoErr("invalid ack mode", "Ack mode %q is not auto, client or client-individual.", mode)
	}
	if p, ok := f.Headers.Get(frames.HdrPrefetchCount); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return protoErr("invalid prefetch-count", "prefetch-count %q is not a non-negative integer.", p)
		}
		sub.prefetch = n
	}
	d := st.dest(name, kind)
	sub.dest = d
	d.subs = append(d.subs, sub)
	s.subs[id] = sub
	s.subList = append(s.subList, sub)
	st.dispatchSub(sub)
	return nil
}

// unsubscribe handles UNSUBSCRIBE: by id, or in 1.0 by id or destination.
func (st *state) unsubscribe(s *session, f *frames.Frame) error {
	id, ok := f.Headers.Get(frames.HdrID)
	if !ok && s.version == frames.V10 {
		id, ok = f.Headers.Get(frames.HdrDestination)
	}
	if !ok {
		return protoErr("missing id header", "UNSUBSCRIBE needs an id header.")
	}
	sub := s.subs[id]
	if sub == nil {
		return protoErr("unknown subscription", "There is no subscription %q.", id)
	}
	delete(s.subs, id)
	for i, x := range s.subList {
		if x == sub {
			s.subList = append(s.subList[:i], s.subList[i+1:]...)
			break
		}
	}
	st.dropSubscription(sub)
	return nil
}

// dropSubscription detaches a subscription: a queue gets its unacknowledged
// messages back, in order and marked redelivered, for other consumers.
func (st *state) dropSubscription(sub *subscription) {
	d := sub.dest
	for i, x := range d.subs {
		if x == sub {
			d.subs = append(d.subs[:i], d.subs[i+1:]...)
			if d.rr > i {
				d.rr--
			}
			break
		}
	}
	if d.rr >= len(d.subs) {
		d.rr = 0
	}
	var back []*delivery
	for _, x := range sub.order {
		if !x.done {
			x.done = true
			back = append(back, x)
		}
	}
	sub.order, sub.unacked, sub.spare, sub.nUnacked = nil, nil, nil, 0
	st.queued -= sub.pending.len()
	sub.pending.clear()
	if d.kind == kindQueue && len(back) > 0 {
		for i := len(back) - 1; i >= 0; i-- {
			d.ready.pushFront(entry{msg: back[i].msg, redelivered: true})
		}
		st.queued += len(back)
		st.counters.Redelivered += uint64(len(back))
		st.dispatchQueue(d)
	}
}

// canTake reports whether a subscription may get another message now.
func (st *state) canTake(sub *subscription) bool {
	s := sub.s
	if s.state != stateConnected || s.blocked || len(s.out) >= st.cfg.outbound {
		return false
	}
	return sub.mode == ackAuto || sub.prefetch == 0 || sub.nUnacked < sub.prefetch
}

// dispatchQueue hands a queue's ready messages to its subscribers in turn.
func (st *state) dispatchQueue(d *destination) {
	for d.ready.len() > 0 {
		n := len(d.subs)
		var sub *subscription
		for i := 0; i < n; i++ {
			if x := d.subs[(d.rr+i)%n]; st.canTake(x) {
				sub, d.rr = x, (d.rr+i+1)%n
				break
			}
		}
		if sub == nil {
			return
		}
		e := d.ready.pop()
		st.queued--
		st.deliver(sub, e)
	}
}

// dispatchTopic hands a topic subscription its waiting messages.
func (st *state) dispatchTopic(sub *subscription) {
	for sub.pending.len() > 0 && st.canTake(sub) {
		e := sub.pending.pop()
		st.queued--
		st.deliver(sub, e)
	}
}

// dispatchSub delivers what a subscription can take now.
func (st *state) dispatchSub(sub *subscription) {
	if sub.dest.kind == kindQueue {
		st.dispatchQueue(sub.dest)
		return
	}
	st.dispatchTopic(sub)
}

// dispatchSession delivers to every subscription of a session.
func (st *state) dispatchSession(s *session) {
	for _, sub := range s.subList {
		st.dispatchSub(sub)
	}
}

// deliver queues a MESSAGE for a subscriber and, in the client modes,
// remembers it until it is acknowledged.
func (st *state) deliver(sub *subscription, e entry) {
	s := sub.s
	it := outItem{kind: itemMessage, msg: e.msg, subID: sub.id, redelivered: e.redelivered}
	if sub.mode != ackAuto {
		d := &delivery{msg: e.msg, sub: sub, redelivered: e.redelivered}
		if s.version >= frames.V12 {
			s.nextAck++
			d.ackID = strconv.FormatUint(s.nextAck, 10)
			it.ackID = d.ackID
			s.acks[d.ackID] = d
		}
		sub.unacked[e.msg.id] = d
		sub.order = append(sub.order, d)
		sub.nUnacked++
	}
	st.counters.Delivered++
	sub.dest.delivered++
	st.send(s, it)
}
