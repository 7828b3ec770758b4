package actors

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stompactor/stompactor/frames"
)

// Pull subscriptions: messages wait in the route's queue until a caller
// takes them with Conn.Receive, instead of going to a handler. A caller
// that finds the queue empty while nobody reads the connection reads it
// itself (readerrole.go), so that a message comes back to the goroutine
// that waits for it with no hand-off between goroutines: on a connection
// with one message in flight that hand-off, which wakes a sleeping OS
// thread, is most of what a client adds to the socket's round trip.

// errNotPull refuses Receive on a subscription whose messages go to a
// handler.
var errNotPull = NewError(CodeInvalidArgument, "stomp: the subscription delivers to a handler, not to Receive (it was not made with Pull)", nil)

// pullQueue holds a pull subscription's messages until Receive takes them.
// Its bound is the route's (take and release), which the reader checks
// before it pushes.
type pullQueue struct {
	mu   sync.Mutex
	msgs []pulled // FIFO from head
	head int
	// closed: its subscription ended and what it held was dropped
	// (takeAll); nothing is queued any more.
	closed bool
	// callers counts the callers in Receive; waiting counts those blocked for a message or for the reading
	// to be free; ready (one token) wakes one of them.
	callers, waiting atomic.Int32
	ready            chan struct{}
}

// pulled is a queued message and the version of the connection it came on
// (its headers are read in that version's terms when it is taken).
type pulled struct {
	m Message
	v frames.Version
}

func newPullQueue() *pullQueue { return &pullQueue{ready: make(chan struct{}, 1)} }

// push queues m, unless the queue is closed (takeAll); it reports
// whether it did. Only the connection's reading pushes.
func (q *pullQueue) push(m *Message, v frames.Version) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.msgs = append(q.msgs, pulled{m: *m, v: v})
	q.mu.Unlock()
	if q.waiting.Load() > 0 {
		q.signal()
	}
	return true
}

// pop takes the oldest message.
func (q *pullQueue) pop() (Message, frames.Version, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.msgs) {
		return Message{}, 0, false
	}
	p := q.msgs[q.head]
	q.msgs[q.head] = pulled{}
	q.head++
	if q.head == len(q.msgs) {
		// Empty: start again at the front; a queue that grew for a
		// burst gives its room back.
		q.head = 0
		if cap(q.msgs) > 16 {
			q.msgs = nil
		} else {
			q.msgs = q.msgs[:0]
		}
	} else if q.waiting.Load() > 0 {
		q.signal() // more for the next caller waiting
	}
	return p.m, p.v, true
}

func (q *pullQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.head == len(q.msgs)
}

// signal wakes one waiting caller, if none is woken already.
func (q *pullQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Receive returns the next message of the pull subscription id, waiting
// for it until ctx ends. Messages that need an ACK are acknowledged with
// AckRef (Message.Ref), as a handler's ManualAck would. A subscription
// ended meanwhile (Unsubscribe, or the connection ended for good) returns
// ErrUnknownSubscription, except that an auto-ack subscription a
// Disconnect ended first hands out the messages it had received, in
// order (pullleft.go). Callers may wait in Receive on any number of
// goroutines; each message goes to one of them, in order of arrival.
func (c *Conn) Receive(ctx context.Context, id string) (Message, error) {
	rt, left, err := c.pullRoute(id)
	if err != nil {
		return Message{}, err
	}
	// Counted on the route it started with (a caller that goes on to a
	// new subscription of id is not counted there: the reader then
	// leaves it no reading, and it waits for a message all the same).
	rt.pull.callers.Add(1)
	defer rt.pull.callers.Add(-1)
	for {
		if m, v, ok := rt.pull.pop(); ok {
			if left && rt.pull.empty() {
				c.forgetLeft(rt) // drained
			}
			if c.keepPulled(rt, &m) {
				m.describe(v)
				if m.lease != nil && m.NeedsAck() {
					// Its Ref outlives the lent memory.
					m.AckID = strings.Clone(m.AckID)
				}
				return m, nil
			}
			continue
		}
		if left {
			// Drained: a later subscription with its id may have
			// taken over (what was left is then its).
			c.forgetLeft(rt)
			next, nextLeft, err := c.pullRoute(id)
			if err != nil || next == rt {
				return Message{}, ErrUnknownSubscription
			}
			rt, left = next, nextLeft
			continue
		}
		if err := ctx.Err(); err != nil {
			return Message{}, err
		}
		c.awaitPulled(ctx, rt)
		// The subscription may have ended meanwhile, or left what it
		// holds to Receive.
		if rt, left, err = c.pullRoute(id); err != nil {
			return Message{}, err
		}
	}
}

// awaitPulled waits until rt may have a message, ctx ends or rt ends:
// reading the connection here when nobody does, else until a message or
// a free reading is signaled.
func (c *Conn) awaitPulled(ctx context.Context, rt *route) {
	l := c.link.Load()
	if l != nil && l.rd != nil && l.rd.claim() {
		// Nobody reads the connection: read it here until a message of
		// this subscription comes.
		l.rd.readFor(ctx, rt)
		return
	}
	q := rt.pull
	q.waiting.Add(1)
	defer q.waiting.Add(-1)
	// Look again now that a push or a free reading would signal.
	if !q.empty() || (l != nil && l.rd != nil && l.rd.vacant()) {
		return
	}
	select {
	case <-q.ready:
	case <-rt.done:
	case <-ctx.Done():
	}
}

// pullRoute returns the live pull subscription id, or (left) the
// leftovers of one a Disconnect ended (pullleft.go).
func (c *Conn) pullRoute(id string) (rt *route, left bool, err error) {
	rs := c.routes.Load()
	if rs != nil {
		rt = rs.find(id)
	}
	if rt == nil {
		if rt = rs.findLeft(id); rt != nil {
			return rt, true, nil
		}
		return nil, false, ErrUnknownSubscription
	}
	if rt.pull == nil {
		return nil, false, errNotPull
	}
	select {
	case <-rt.done:
		return nil, false, ErrUnknownSubscription
	default:
	}
	return rt, false, nil
}

// keepPulled gives back a taken message's place in its queue and reports
// whether it is still to be handed to the caller: as with a handler's
// messages (subscription.deliver), one that needs an ACK is dropped when
// its connection ended (the broker redelivers it) or Disconnect began;
// an auto-ack one, which the broker counts consumed, is handed over while
// its subscription lives, Disconnect or not.
func (c *Conn) keepPulled(rt *route, m *Message) bool {
	rt.release(m.size)
	if m.NeedsAck() {
		if l := c.link.Load(); l == nil || l.gen != m.gen || rt.draining.Load() {
			c.stats.Dropped.Add(1)
			m.Release()
			return false
		}
	}
	return true
}
