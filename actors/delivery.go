package actors

import (
	"time"

	"github.com/stompactor/stompactor/frames"
)

// delivery is what deliver did with a MESSAGE.
type delivery uint8

const (
	delivered    delivery = iota // queued (or dropped, as its queue's policy says)
	deliveryStop                 // the reader must stop
	deliveryWait                 // a caller reads, and its queue is full: handOff
)

// deliver admits a MESSAGE to its subscription's queue, once it has room,
// and adds it to the subscription's batch, or to a pull subscription's
// queue.
func (r *reader) deliver(gen uint64, f *frames.Frame, lease *frames.Lease) delivery {
	rt := r.c.lookupRoute(f)
	if rt == nil {
		// A subscription that ended while the broker was already
		// sending to it: counted dropped here, not by the session
		// (which only logs it), as the session may have stopped or
		// moved on to a later connection, whose frames alone it reads.
		r.c.stats.Dropped.Add(1)
		r.toSession(gen, *f)
		return delivered
	}
	size := messageBytes(f)
	switch r.admit(rt, size) {
	case dropped:
		r.c.stats.Dropped.Add(1)
		return delivered
	case overflowed:
		r.c.stats.Dropped.Add(1)
		r.handOn()
		r.sys.Root.Send(r.session, &readFailed{gen: gen, err: ErrQueueFull})
		return deliveryStop
	case readerStopping:
		r.c.stats.Dropped.Add(1)
		return deliveryStop
	case mustWait:
		return deliveryWait
	}
	if rt.draining.Load() && rt.pull == nil && ended(rt) {
		// The subscription ended (Unsubscribe, which set draining
		// before the end) after this reader found its route: its actor
		// may have handed on all it held and stopped. Dropped, and the
		// actor told to look at its queue again, in case it waits for
		// this message's place (handover.go). draining, a plain load,
		// keeps the channel's look off the path of every message.
		r.c.dropTaken(rt, size)
		r.sys.Root.Send(rt.pid, &unsubscribed{})
		return delivered
	}
	// Numbered in the order the broker sent them, for cumulative ACKs.
	seq := uint32(rt.delivered.Add(1))
	// The rest of the Message is read from its headers on the
	// subscription's goroutine (describe), off the reader's.
	m := &Message{Subscription: rt.id, Headers: f.Headers, Body: f.Body, gen: gen, rt: rt, size: size, seq: seq}
	if rt.spec.Lent {
		// Given back once handled (subscription.deliver), or by
		// Receive's caller (Message.Release).
		m.lease = lease
	}
	if rt.pull != nil {
		if !rt.pull.push(m, r.version) {
			// Its subscription ended after this reader found its
			// route, and dropped what it held (dropLeft): this one
			// too, counted.
			r.c.dropTaken(rt, size)
			m.Release()
		}
		return delivered
	}
	r.add(rt, m)
	return delivered
}

// dropTaken drops a message the reader took a place for in rt's queue
// as its subscription ended, and counts it dropped, unless the halt of
// the handover (the connection's end) counted its place already
// (haltTurn).
func (c *Conn) dropTaken(rt *route, size int64) {
	if !rt.release(size) {
		c.stats.Dropped.Add(1)
	}
}

// ended reports whether rt's subscription has ended.
func ended(rt *route) bool {
	select {
	case <-rt.done:
		return true
	default:
		return false
	}
}

// describe fills in what m's headers say, for a connection of version v.
func (m *Message) describe(v frames.Version) {
	// One pass over the headers; the first of repeated keys counts.
	const (
		seenID = 1 << iota
		seenDest
		seenType
		seenRedelivered
		seenAck
	)
	var seen uint8
	ack := ""
	first := func(bit uint8) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	for _, h := range m.Headers {
		switch h.Key {
		case frames.HdrMessageID:
			if first(seenID) {
				m.MessageID = h.Value
			}
		case frames.HdrDestination:
			if first(seenDest) {
				m.Destination = h.Value
			}
		case frames.HdrContentType:
			if first(seenType) {
				m.ContentType = h.Value
			}
		case frames.HdrRedelivered:
			if first(seenRedelivered) {
				m.Redelivered = h.Value == "true"
			}
		case frames.HdrAck:
			if first(seenAck) {
				ack = h.Value
			}
		}
	}
	m.AckID = m.MessageID
	if seen&seenAck != 0 && v >= frames.V12 {
		m.AckID = ack
	}
}

// admission is what admit decided for a message.
type admission uint8

const (
	admitted       admission = iota // it has a slot and its bytes
	dropped                         // FullDrop, or the subscription ended while the reader waited
	overflowed                      // FullError: the connection ends with ErrQueueFull
	readerStopping                  // the reader is stopping
	mustWait                        // FullBlock, and a caller reads (handOff)
)

// admit takes a place and size bytes of rt's queue. When either is
// short, rt's policy decides: drop, fail, or (FullBlock) stop reading
// until the handler releases enough, so TCP pushes back on the broker;
// that pause is not server silence. The subscription may end while the
// reader waits (Unsubscribe), and its queue may then never drain: the
// message is dropped and reading goes on.
func (r *reader) admit(rt *route, size int64) admission {
	if rt.take(size) {
		return admitted
	}
	if rt.queued.Load()&haltBit != 0 {
		return dropped // a halted handover's (haltTurn): it takes none
	}
	switch rt.spec.OnFull {
	case FullDrop:
		return dropped
	case FullError:
		return overflowed
	}
	if r.caller != nil {
		return mustWait
	}
	// The queue's room may be held by messages still in a batch here.
	r.handOn()
	r.l.stats.readPaused.Store(true)
	freed := rt.freed.ch() // before waiting says there is someone to signal
	rt.waiting.Store(true)
	defer func() {
		rt.waiting.Store(false)
		r.l.stats.lastRead.Store(time.Now().UnixNano())
		r.l.stats.readPaused.Store(false)
	}()
	for !rt.take(size) {
		select {
		case <-freed:
		case <-rt.done:
			return dropped
		case <-r.l.lost:
			return readerStopping
		}
	}
	return admitted
}
