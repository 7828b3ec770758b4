package sim

import "github.com/stompactor/stompactor/frames"

// message is a frame received from a client, and the message it became
// when it is a published SEND. It never changes once published, so the
// owner and the writers share it freely.
type message struct {
	frame frames.Frame // as received: the writer filters its headers
	id    string       // set when published
	dest  string       // set when published
}

// entry is a message waiting in a queue or a topic subscription.
type entry struct {
	msg         *message
	redelivered bool
}

// destination is a queue or a topic.
type destination struct {
	name      string
	kind      destKind
	ready     ring[entry] // queues: messages waiting for a consumer
	subs      []*subscription
	rr        int // queues: where the next round-robin search starts
	enqueued  uint64
	delivered uint64
}

// dest returns the destination called name, creating it.
func (st *state) dest(name string, kind destKind) *destination {
	d := st.dests[name]
	if d == nil {
		d = &destination{name: name, kind: kind}
		st.dests[name] = d
	}
	return d
}

// destination validates a frame's destination header.
func (st *state) destination(f *frames.Frame) (string, destKind, error) {
	name, ok := f.Headers.Get(frames.HdrDestination)
	if !ok || name == "" {
		return "", kindNone, protoErr("missing destination", "%s frames need a destination header.", f.Command)
	}
	kind := st.cfg.classify(name)
	if kind == kindNone {
		return "", kindNone, protoErr("unknown destination",
			"Destination %q matches none of the prefixes %q (queues) or %q (topics).",
			name, st.cfg.queuePrefixes, st.cfg.topicPrefixes)
	}
	return name, kind, nil
}

// sendFrame handles SEND: publish now, or hold it in its transaction.
func (st *state) sendFrame(s *session, m *message) error {
	f := &m.frame
	name, kind, err := st.destination(f)
	if err != nil {
		return err
	}
	if id, ok := f.Headers.Get(frames.HdrTransaction); ok {
		return st.hold(s, id, m)
	}
	st.publish(name, kind, m)
	return nil
}

// publish stores a message in a queue, or hands it to every current
// subscriber of a topic, and delivers what it can.
func (st *state) publish(name string, kind destKind, m *message) {
	d := st.dest(name, kind)
	m.id, m.dest = st.ids.nextID(), d.name
	st.counters.Sent++
	d.enqueued++
	if d.kind == kindQueue {
		d.ready.push(entry{msg: m})
		st.queued++
		st.dispatchQueue(d)
		return
	}
	for _, sub := range d.subs {
		sub.pending.push(entry{msg: m})
		st.queued++
		st.dispatchTopic(sub)
	}
}

// ring is a growable FIFO that can also push at the front.
type ring[T any] struct {
	buf  []T
	head int
	n    int
}

func (r *ring[T]) len() int { return r.n }

func (r *ring[T]) grow() {
	if r.n < len(r.buf) {
		return
	}
	nb := make([]T, max(2*len(r.buf), 16))
	for i := 0; i < r.n; i++ {
		nb[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = nb, 0
}

func (r *ring[T]) push(v T) {
	r.grow()
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
}

func (r *ring[T]) pushFront(v T) {
	r.grow()
	r.head = (r.head - 1 + len(r.buf)) % len(r.buf)
	r.buf[r.head] = v
	r.n++
}

func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	if r.n == 0 && len(r.buf) > 1024 {
		r.buf, r.head = nil, 0
	}
	return v
}

// clear empties the ring.
func (r *ring[T]) clear() { r.buf, r.head, r.n = nil, 0, 0 }
