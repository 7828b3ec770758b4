package actors

import (
	"errors"
	"strconv"
	"sync"
	"time"
)

// receiptWaiters holds the receipts of one connection that a caller waits
// for on a reply channel: a SEND, SUBSCRIBE, UNSUBSCRIBE, ACK or
// transaction frame sent with a receipt, and no outbox entry behind it.
// It belongs to the link, so that a RECEIPT reaches its caller without
// the session's mailbox: the writer adds a receipt before the frame's
// bytes leave, the reader confirms it as the RECEIPT is decoded, and
// fails it as an ERROR naming it is decoded (so the first answer on the
// wire is the one that counts), its own timer fails it at its
// deadline, and the session's lose answers what is left (end). Those are
// several goroutines, so a mutex guards it; nothing blocks under it.
//
// The session's receiptBook keeps the receipts it must act on itself:
// outbox messages and DISCONNECT. Both books take their ids from the
// writer's sequence (and DISCONNECT's from its generation), so an id is
// never in both.
type receiptWaiters struct {
	mu sync.Mutex
	// A receipt added while none is awaited waits in first (the usual
	// case, one receipt at a time, so needs no map); byID holds the
	// receipts added while another was awaited.
	first    receiptWaiter
	firstID  string
	hasFirst bool
	closed   bool // the connection ended: no receipt is added any more
	answered bool // and every receipt it held was answered
	byID     map[string]receiptWaiter
	// over is closed once end answered every receipt; made only when a
	// caller waits for that (ended), so an idle connection holds none.
	over chan struct{}
	// The timer is armed at due, the earliest deadline when it was
	// armed, and left running when receipts are answered before it: it
	// then finds nothing to fail and stops, and the book gives its map
	// back. A connection with one receipt in flight so arms it once per
	// deadline, not once per message.
	timer *time.Timer
	due   time.Time
	slots chan struct{} // the link's receipt tokens, given back on answer
	stats *counters
	// late are the ids whose wait ended at their deadline (expire), for
	// a RECEIPT that comes afterwards (receiptslate.go).
	late *lateReceipts
}

type receiptWaiter struct {
	reply    chan error // buffered; answered once
	deadline time.Time
}

// add registers receipt id, which holds a token of slots, for reply
// (which may be nil), failing at timeout; with timeout 0 it has no
// deadline until start gives it one (a frame whose receipt wait begins
// once it is written). The writer calls it before it
// encodes the frame, so no RECEIPT can come first. It registers nothing
// and returns errReceiptsEnded once the connection has ended, and an
// ErrReceiptIDInUse when id is awaited already: the entry that holds id
// is left as it is, so the RECEIPT for id answers only the frame that
// asked for it first, and the second frame must not be written.
func (b *receiptWaiters) add(id string, reply chan error, timeout time.Duration) error {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errReceiptsEnded
	}
	if _, dup := b.byID[id]; dup || (b.hasFirst && b.firstID == id) {
		return receiptIDInUse(id)
	}
	w := receiptWaiter{reply: reply, deadline: deadline}
	if !b.hasFirst && len(b.byID) == 0 {
		b.first, b.firstID, b.hasFirst = w, id, true
	} else {
		if b.byID == nil {
			b.byID = make(map[string]receiptWaiter, 1)
		}
		b.byID[id] = w
	}
	b.stats.ReceiptsPending.Add(1)
	if !deadline.IsZero() {
		b.armLocked(deadline, timeout)
	}
	return nil
}

// armLocked has the timer run at deadline (timeout from now) when that
// comes before the deadline it is armed for. b.mu is held.
func (b *receiptWaiters) armLocked(deadline time.Time, timeout time.Duration) {
	if b.due.IsZero() || deadline.Before(b.due) {
		b.due = deadline
		if b.timer == nil {
			b.timer = time.AfterFunc(timeout, b.expire)
		} else {
			b.timer.Reset(timeout)
		}
	}
}

// start gives receipt id, added for reply without a deadline, its
// deadline: timeout from now. It does nothing when id was answered
// meanwhile, even if another frame has taken id since (reply tells them
// apart).
func (b *receiptWaiters) start(id string, reply chan error, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return
	case b.hasFirst && b.firstID == id:
		if b.first.reply != reply {
			return
		}
		b.first.deadline = deadline
	default:
		w, ok := b.byID[id]
		if !ok || w.reply != reply {
			return
		}
		w.deadline = deadline
		b.byID[id] = w
	}
	b.armLocked(deadline, timeout)
}

// errReceiptsEnded: the connection ended, the book takes no receipt.
var errReceiptsEnded = errors.New("stomp: the connection's receipts are over")

// receiptIDInUse is the ErrReceiptIDInUse that names id.
func receiptIDInUse(id string) error {
	return NewError(CodeInvalidArgument, "stomp: receipt id "+strconv.Quote(id)+" is already in use: its RECEIPT would confirm another frame", ErrReceiptIDInUse)
}

// withdraw removes receipt id, added for reply by a frame the writer then
// could not encode, without answering it, and gives its token back. It
// returns false when id was answered meanwhile (the connection ended, or
// a RECEIPT for it was forged): its caller has heard that answer. An id
// another frame took since is that frame's, and stays.
func (b *receiptWaiters) withdraw(id string, reply chan error) bool {
	b.mu.Lock()
	ok := b.holdsLocked(id, reply)
	if ok {
		b.takeLocked(id)
	}
	b.mu.Unlock()
	if ok {
		b.giveSlot()
		b.stats.ReceiptsPending.Add(-1)
	}
	return ok
}

// confirm answers receipt id, and only it, as confirmed, first reporting
// its RECEIPT to c's sink; it returns false when nobody awaits id here.
// The event goes out under the lock, so it precedes whatever the end of
// the connection reports (the sink does not block).
func (b *receiptWaiters) confirm(id string, c *Conn) bool {
	b.mu.Lock()
	w, ok := b.takeLocked(id)
	if ok {
		if c.emitting((*ReceiptInEvent)(nil)) {
			c.emit(&ReceiptInEvent{ReceiptID: id})
		}
	}
	b.mu.Unlock()
	if ok {
		b.answer(w, nil)
	}
	return ok
}

// fail answers receipt id with err (an ERROR frame naming it); it returns
// false when nobody awaits id here.
func (b *receiptWaiters) fail(id string, err error) bool {
	b.mu.Lock()
	w, ok := b.takeLocked(id)
	b.mu.Unlock()
	if ok {
		b.answer(w, err)
	}
	return ok
}

// holdsLocked reports whether receipt id is awaited for reply; b.mu is
// held.
func (b *receiptWaiters) holdsLocked(id string, reply chan error) bool {
	if b.hasFirst && b.firstID == id {
		return b.first.reply == reply
	}
	w, ok := b.byID[id]
	return ok && w.reply == reply
}

// takeLocked removes receipt id from the book and returns it; b.mu is
// held.
func (b *receiptWaiters) takeLocked(id string) (receiptWaiter, bool) {
	if b.hasFirst && b.firstID == id {
		w := b.first
		b.first, b.firstID, b.hasFirst = receiptWaiter{}, "", false
		return w, true
	}
	w, ok := b.byID[id]
	if ok {
		delete(b.byID, id)
	}
	return w, ok
}

// answer gives w's token back and tells its caller err (nil: confirmed).
func (b *receiptWaiters) answer(w receiptWaiter, err error) {
	b.giveSlot()
	b.stats.ReceiptsPending.Add(-1)
	if w.reply != nil {
		w.reply <- err
	}
}

func (b *receiptWaiters) giveSlot() {
	select {
	case <-b.slots:
	default:
	}
}

// expire runs on the timer: it fails every receipt past its deadline
// with ErrReceiptTimeout and arms the timer for the next deadline. With
// no receipt left, the book gives its map back.
func (b *receiptWaiters) expire() {
	var late []receiptWaiter
	var lateIDs []string
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	now := time.Now()
	var next time.Time
	if b.hasFirst && !b.first.deadline.IsZero() {
		if !now.Before(b.first.deadline) {
			late = append(late, b.first)
			lateIDs = append(lateIDs, b.firstID)
			b.first, b.firstID, b.hasFirst = receiptWaiter{}, "", false
		} else {
			next = b.first.deadline
		}
	}
	for id, w := range b.byID {
		if w.deadline.IsZero() {
			continue // its write has not ended: start gives it one
		}
		if !now.Before(w.deadline) {
			late = append(late, w)
			lateIDs = append(lateIDs, id)
			delete(b.byID, id)
		} else if next.IsZero() || w.deadline.Before(next) {
			next = w.deadline
		}
	}
	b.gaveUpLocked(lateIDs)
	b.due = next
	if next.IsZero() {
		if len(b.byID) == 0 {
			b.byID = nil
		}
	} else {
		b.timer.Reset(next.Sub(now))
	}
	b.mu.Unlock()
	for _, w := range late {
		b.answer(w, ErrReceiptTimeout)
	}
}

// end answers every receipt with err, which says the connection ended
// before the broker answered: the frames may or may not have taken
// effect, their outcome is unknown. Receipts added after it are answered
// nowhere (add).
func (b *receiptWaiters) end(err error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	left := b.byID
	b.byID = nil
	first, hasFirst := b.first, b.hasFirst
	b.first, b.firstID, b.hasFirst = receiptWaiter{}, "", false
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	defer b.finish()
	if len(left) == 0 && !hasFirst {
		return
	}
	unknown := outcomeUnknown(err)
	if hasFirst {
		b.answer(first, unknown)
	}
	for _, w := range left {
		b.answer(w, unknown)
	}
}

// finish records that end answered every receipt, and tells whoever waits
// for that (ended).
func (b *receiptWaiters) finish() {
	b.mu.Lock()
	b.answered = true
	over := b.over
	b.mu.Unlock()
	if over != nil {
		close(over)
	}
}

// alreadyOver is a closed channel, for waits that are already over.
var alreadyOver = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// ended returns a channel that is closed once the connection's end has
// answered every receipt of the book. A caller whose request asked for a
// receipt waits for it before it looks for its answer, so that it hears
// ErrOutcomeUnknown rather than the bare reason the connection ended.
func (b *receiptWaiters) ended() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.answered {
		return alreadyOver
	}
	if b.over == nil {
		b.over = make(chan struct{})
	}
	return b.over
}
