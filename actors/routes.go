package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// route is how the reader reaches a subscription without the session: its
// actor and the bounds of its delivery queue, in messages and in bytes.
type route struct {
	id, destination string
	spec            *SubscribeSpec // its mode, for one (the session's copy)
	pid             *actor.PID
	done            chan struct{} // closed by the session when the subscription ends
	delivered       atomic.Int64  // messages handed to the subscription
	// maxMsgs and maxBytes bound the messages queued or being handled
	// (in the reader's batch, the subscription's mailbox, the handler);
	// queued and bytes count them, message by message. Only the reader
	// adds, only the subscription takes away, so the reader's check and
	// add need no lock. A reader that waits for room says so (waiting),
	// and the subscription then signals freed.
	maxMsgs, maxBytes int64
	queued, bytes     atomic.Int64
	freed             wakeup     // room was given back
	pull              *pullQueue // SubscribeSpec.Pull: the messages Receive takes
	// cum keeps what the cumulative ACKs of an ack-mode client
	// subscription covered (cumulative.go); nil in the other modes.
	cum     *cumulative
	waiting atomic.Bool
	// draining is set by the session when Disconnect begins: messages
	// that need an ACK and have not started are no longer handled (the
	// broker redelivers them).
	draining atomic.Bool
	// (The small fields sit together at the end: the route takes the
	// 128-byte size class, not the 144-byte one. Its FullPolicy and
	// Lent are read from spec.)
}

// newRoute makes the route of a subscription.
func newRoute(spec *SubscribeSpec) *route {
	rt := &route{id: spec.ID, destination: spec.Destination, spec: spec,
		maxMsgs: int64(spec.QueueSize), maxBytes: int64(spec.QueueBytes),
		done: make(chan struct{})}
	if spec.Pull {
		rt.pull = newPullQueue()
	}
	if spec.Mode == AckClient {
		rt.cum = newCumulative()
	}
	return rt
}

// take counts one more message of n bytes queued if both bounds have
// room for it; a message larger than the whole byte bound is taken when
// nothing else is queued.
func (r *route) take(n int64) bool {
	// The place is added by a compare-and-swap against the count seen, so
	// that none is added once haltQueue set the halt bit: a place added
	// after the halt counted the queue would be counted by nobody.
	for {
		q := r.queued.Load()
		if q >= r.maxMsgs { // a halted queue (haltBit) takes none
			return false
		}
		if used := r.bytes.Load(); used > 0 && used+n > r.maxBytes {
			return false
		}
		if r.queued.CompareAndSwap(q, q+1) {
			break
		}
	}
	r.bytes.Add(n)
	return true
}

// release gives back a handled message's place and bytes, and wakes a
// reader waiting for room once a quarter of the queue is free (or all
// of it): a reader woken for every place freed would take one message
// per wake-up, hand-offs costing more than the messages. It reports
// whether the place was still counted when the queue was halted
// (haltQueue): the halt counted it dropped.
func (r *route) release(n int64) (counted bool) {
	bytes := r.bytes.Add(-n)
	queued := r.queued.Add(-1)
	// The reader sets waiting before it looks for room again, so either
	// it sees this room or this sees it wait.
	if r.waiting.Load() && (queued == 0 || queued <= r.maxMsgs-max(r.maxMsgs/4, 1) && bytes <= r.maxBytes-r.maxBytes/4) {
		r.freed.signal()
	}
	return queued&haltBit != 0
}

// haltBit, set in a route's queued count by haltQueue, marks the queue
// halted: the count beneath it then only falls.
const haltBit = int64(1) << 62

// haltQueue marks the queue of a handover halted and returns how many
// places it counted at that moment, in one step: a place given back
// before it is not in the count, one given back after it is (release).
func (r *route) haltQueue() int64 {
	for {
		q := r.queued.Load()
		if q&haltBit != 0 {
			return 0
		}
		if r.queued.CompareAndSwap(q, q|haltBit) {
			return q
		}
	}
}

// messageBytes is what a message counts against its queue's byte bound:
// its body and header text.
func messageBytes(f *frames.Frame) int64 {
	n := len(f.Body)
	for _, h := range f.Headers {
		n += len(h.Key) + len(h.Value) + 2
	}
	return int64(n)
}

// end marks the subscription ended: a reader waiting for room in its queue
// drops the message and reads on, an Ack of its messages is refused. Only
// the session calls it, once.
func (r *route) end() { close(r.done) }

// routes is an immutable snapshot; the session stores a new one on every
// change.
// A few routes are searched in a slice (a map costs hundreds of bytes
// even for one entry); many get maps.
type routes struct {
	lent   bool // some route lends its messages (the decoder leases large frames)
	list   []*route
	pulls  []*route          // the pull subscriptions (SubscribeSpec.Pull)
	byID   map[string]*route // with more than fewRoutes
	byDest map[string]*route // STOMP 1.0 messages may lack a subscription header
	// left are ended pull subscriptions whose queues still hold
	// auto-ack messages for Receive (leftovers, pullleft.go); the reader
	// never sees them. Behind a pointer, nil without any: the snapshot
	// keeps its size class (80 bytes).
	left *[]*route
}

const fewRoutes = 8

func newRoutes(list []*route) *routes {
	r := &routes{list: list}
	for _, rt := range list {
		r.lent = r.lent || rt.spec.Lent
		if rt.pull != nil {
			r.pulls = append(r.pulls, rt)
		}
	}
	if len(list) > fewRoutes {
		r.byID = make(map[string]*route, len(list))
		r.byDest = make(map[string]*route, len(list))
		for _, rt := range list {
			r.byID[rt.id] = rt
			r.byDest[rt.destination] = rt
		}
	}
	return r
}

// pullCallers reports whether a caller waits in Receive for one of the
// pull subscriptions.
func (r *routes) pullCallers() bool {
	for _, rt := range r.pulls {
		if rt.pull.callers.Load() > 0 {
			return true
		}
	}
	return false
}

func (r *routes) find(id string) *route {
	if r.byID != nil {
		return r.byID[id]
	}
	for _, rt := range r.list {
		if rt.id == id {
			return rt
		}
	}
	return nil
}

func (r *routes) findDest(dest string) *route {
	if r.byDest != nil {
		return r.byDest[dest]
	}
	for _, rt := range r.list {
		if rt.destination == dest {
			return rt
		}
	}
	return nil
}
