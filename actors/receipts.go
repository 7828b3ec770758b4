package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

type pendingReceipt struct {
	id       string
	tx       string // the frame's transaction: brokers may answer it only at COMMIT
	cmd      frames.Command
	reply    chan error
	deadline time.Time
	done     bool
	token    bool
}

// receiptBook matches RECEIPT frames to the frames that asked for them, in
// the order they were written, and fails those whose deadline passes. It
// belongs to the session and is touched only from its Receive.
type receiptBook struct {
	order      []*pendingReceipt
	byID       map[string]*pendingReceipt
	cumulative bool
	slots      chan struct{} // the link's receipt tokens, given back on finish
	timer      *time.Timer
	due        time.Time
	stats      *Stats
}

func newReceiptBook(stats *Stats) *receiptBook {
	return &receiptBook{byID: map[string]*pendingReceipt{}, stats: stats}
}

// add registers a receipt; it returns false when the book is full.
func (b *receiptBook) add(m *receiptAwaited, self *actor.PID, sys *actor.ActorSystem) bool {
	if _, dup := b.byID[m.id]; dup {
		return false
	}
	p := &pendingReceipt{id: m.id, tx: m.tx, cmd: m.cmd, reply: m.reply, deadline: time.Now().Add(m.timeout), token: m.token}
	b.order = append(b.order, p)
	b.byID[m.id] = p
	b.stats.ReceiptsPending.Add(1)
	b.schedule(self, sys)
	return true
}

// confirm answers the receipt id (and, when cumulative, every receipt
// written before it). It returns false for an id nobody awaits.
func (b *receiptBook) confirm(id string) bool {
	p, ok := b.byID[id]
	if !ok {
		return false
	}
	if b.cumulative && p.tx == "" {
		// Frames outside transactions are processed in order, so this
		// receipt also answers every earlier one outside a transaction.
		// A transacted frame's receipt may wait for its COMMIT, so it
		// is never assumed.
		for _, q := range b.order {
			if q == p {
				break
			}
			if q.tx == "" {
				b.finish(q, nil)
			}
		}
	}
	b.finish(p, nil)
	keep := b.order[:0]
	for _, q := range b.order {
		if !q.done {
			keep = append(keep, q)
		}
	}
	clear(b.order[len(keep):])
	b.order = keep
	return true
}

// fail answers one receipt with err (an ERROR frame naming it).
func (b *receiptBook) fail(id string, err error) bool {
	p, ok := b.byID[id]
	if !ok {
		return false
	}
	b.finish(p, err)
	b.compact()
	return true
}

func (b *receiptBook) finish(p *pendingReceipt, err error) {
	if p.done {
		return
	}
	p.done = true
	delete(b.byID, p.id)
	if p.token && b.slots != nil {
		select {
		case <-b.slots:
		default:
		}
	}
	b.stats.ReceiptsPending.Add(-1)
	if p.reply != nil {
		p.reply <- err
	}
}

func (b *receiptBook) compact() {
	i := 0
	for i < len(b.order) && b.order[i].done {
		i++
	}
	b.order = b.order[i:]
	if len(b.order) == 0 {
		b.order = nil
	}
}

// expire fails every receipt past its deadline and re-arms the timer.
func (b *receiptBook) expire(now time.Time, self *actor.PID, sys *actor.ActorSystem) {
	b.due = time.Time{}
	for _, p := range b.order {
		if !p.done && !now.Before(p.deadline) {
			b.finish(p, ErrReceiptTimeout)
		}
	}
	keep := b.order[:0]
	for _, p := range b.order {
		if !p.done {
			keep = append(keep, p)
		}
	}
	b.order = keep
	b.schedule(self, sys)
}

func (b *receiptBook) schedule(self *actor.PID, sys *actor.ActorSystem) {
	var next time.Time
	for _, p := range b.order {
		if !p.done && (next.IsZero() || p.deadline.Before(next)) {
			next = p.deadline
		}
	}
	if next.IsZero() || (!b.due.IsZero() && !next.Before(b.due)) {
		return
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.due = next
	b.timer = time.AfterFunc(time.Until(next), func() { sys.Root.Send(self, &receiptTick{}) })
}

// failAll answers every receipt with err and stops the timer.
func (b *receiptBook) failAll(err error) {
	for _, p := range b.order {
		b.finish(p, err)
	}
	b.order = nil
	b.stop()
}

func (b *receiptBook) stop() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.due = time.Time{}
}
