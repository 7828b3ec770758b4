package sim

import (
	"sync"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// itemKind says what an outItem carries.
type itemKind uint8

const (
	itemFrame   itemKind = iota + 1 // a control frame: CONNECTED, RECEIPT, ERROR
	itemMessage                     // a MESSAGE built by the writer from a message
	itemClose                       // close the connection gracefully
)

// outItem is one entry of a connection's outbound queue. The writer turns
// message items into MESSAGE frames itself, so a delivery allocates nothing.
type outItem struct {
	kind        itemKind
	frame       *frames.Frame
	msg         *message
	subID       string
	ackID       string
	redelivered bool
	version     frames.Version // on CONNECTED: the negotiated version
	hb          time.Duration  // on CONNECTED: the heart-beat send interval
	close       bool           // close gracefully once this item is written
}

// outQueue is a connection's outbound queue. The owner pushes, the writer
// takes everything at once. Its length is bounded by the owner, which stops
// delivering messages to a connection whose queue is full, and by the
// connection's reader, which stops reading while the queue is far over.
type outQueue struct {
	mu     sync.Mutex
	items  []outItem
	full   bool // the owner stopped delivering; report when drained
	closed bool
	wake   chan struct{} // to the writer: items are waiting
	space  chan struct{} // to the reader: the writer took items
}

func newOutQueue() *outQueue {
	return &outQueue{wake: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// push appends items and returns the queue's new length, with ok false
// when the writer is gone. A length of full or more marks the queue full:
// the owner then delivers nothing more until the writer takes the items.
func (q *outQueue) push(items []outItem, full int) (n int, ok bool) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 0, false
	}
	wasEmpty := len(q.items) == 0
	q.items = append(q.items, items...)
	n = len(q.items)
	if n >= full {
		q.full = true
	}
	q.mu.Unlock()
	if wasEmpty {
		signal(q.wake)
	}
	return n, true
}

// take swaps the queued items for spare (which must be empty) and reports
// whether the owner was waiting for the queue to drain.
func (q *outQueue) take(spare []outItem) (items []outItem, wasFull bool) {
	q.mu.Lock()
	items, q.items = q.items, spare
	wasFull, q.full = q.full, false
	q.mu.Unlock()
	if len(items) > 0 {
		signal(q.space)
	}
	return items, wasFull
}

// len returns the number of queued items.
func (q *outQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// close refuses further items and drops the queued ones.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	clear(q.items)
	q.items = nil
	q.mu.Unlock()
	signal(q.space)
}

// signal does a non-blocking send on a 1-buffered channel.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// gate holds back readers of publishing connections while the broker
// holds too many ready messages. The owner opens and shuts it.
type gate struct {
	mu sync.Mutex
	ch chan struct{} // nil while open; closed when the gate reopens
}

// shut closes the gate and reports whether it was open.
func (g *gate) shut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
		return true
	}
	return false
}

// open opens the gate and reports whether it was shut.
func (g *gate) open() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
		return true
	}
	return false
}

// waitCh returns a channel closed when the gate opens, or nil when open.
func (g *gate) waitCh() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ch
}
