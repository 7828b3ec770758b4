package actors

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// receiptWaiters holds the receipts of one connection that a caller waits
// for on a reply channel: a SEND, SUBSCRIBE, UNSUBSCRIBE, ACK or
// transaction frame sent with a receipt, and no outbox entry behind it.
// It belongs to the link, so that a RECEIPT reaches its caller without
// the session's mailbox: whoever encodes the frame adds its receipt
// before the frame's bytes can leave, the reader confirms it as the
// RECEIPT is decoded (once the frame's last byte was written: a RECEIPT
// that comes earlier is held, receiptheld.go), and
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

	// A RECEIPT that comes before the last byte of its frame was written
	// is held until it was (receiptheld.go). wrote counts the bytes the
	// socket took, in the order the link's queue gave them out (a
	// frame's end is the count its last byte makes); heldIDs are the
	// receipts held here (under mu), held counts them, and bookHeld
	// counts the receipts the session's book holds (its own count,
	// which the session keeps).
	wrote    atomic.Int64
	held     atomic.Int32
	bookHeld atomic.Int32
	heldIDs  []string
	// inflight counts the writes of the link under way (a socket write
	// begun and its bytes not yet counted in wrote), endErr is why the
	// connection ended, and c is the connection, for the events of the
	// RECEIPTs held and then confirmed.
	inflight atomic.Int32
	endErr   error
	c        *Conn
}

type receiptWaiter struct {
	reply    chan error // buffered; answered once
	deadline time.Time
	// end is where the frame's last byte is in the link's stream of
	// bytes (receiptWaiters.wrote); held says its RECEIPT came before
	// the socket took that byte.
	end  int64
	held bool
}

// add registers receipt id, which holds a token of slots, for reply
// (which may be nil), failing at timeout; with timeout 0 it has no
// deadline until start gives it one (a frame whose receipt wait begins
// once it is written). end is where the frame's last byte is in the
// link's stream (receiptheld.go). Whoever encodes the frame calls it
// under the queue's lock, before the bytes can leave, so no RECEIPT can
// come first. It registers nothing
// and returns errReceiptsEnded once the connection has ended, and an
// ErrReceiptIDInUse when id is awaited already: the entry that holds id
// is left as it is, so the RECEIPT for id answers only the frame that
// asked for it first, and the second frame must not be written.
func (b *receiptWaiters) add(id string, reply chan error, timeout time.Duration, end int64) error {
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
	w := receiptWaiter{reply: reply, deadline: deadline, end: end}
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

// confirm answers receipt id, and only it, as confirmed, first reporting
// its RECEIPT to c's sink; it returns false when nobody awaits id here,
// or its RECEIPT came already (a second one). A RECEIPT that comes while
// the frame's last byte is not yet written is held, and reported only
// once it confirms the frame: the write that takes that byte answers it
// (release), the end of the connection otherwise (end). The event goes
// out under the lock (the sink does not block), so a RECEIPT confirmed
// here, or held and confirmed by a write before the connection ends, is
// reported before whatever the end reports. A held RECEIPT that the write
// under way at the end confirms (release, after end) may be reported after
// the end's DisconnectedEvent, from the writer's goroutine; its caller
// still hears nil only after its ReceiptInEvent went out.
func (b *receiptWaiters) confirm(id string, c *Conn) bool {
	b.mu.Lock()
	var w receiptWaiter
	first := b.hasFirst && b.firstID == id
	if first {
		w = b.first
	} else {
		var ok bool
		if w, ok = b.byID[id]; !ok {
			b.mu.Unlock()
			return false
		}
	}
	if w.held {
		b.mu.Unlock()
		return false
	}
	if w.end > b.wrote.Load() && b.holdLocked(id, w) {
		b.mu.Unlock()
		return true
	}
	if c.emitting((*ReceiptInEvent)(nil)) {
		c.emit(&ReceiptInEvent{ReceiptID: id})
	}
	if first {
		b.first, b.firstID, b.hasFirst = receiptWaiter{}, "", false
	} else {
		delete(b.byID, id)
	}
	b.mu.Unlock()
	b.answer(w, nil)
	return true
}

// fail answers receipt id with err (an ERROR frame naming it); it returns
// false when nobody awaits id here.
func (b *receiptWaiters) fail(id string, err error) bool {
	b.mu.Lock()
	w, ok := b.takeLocked(id)
	var over chan struct{}
	if ok && b.closed && b.emptyLocked() {
		over = b.finishLocked() // the last of an ended book
	}
	b.mu.Unlock()
	if ok {
		b.answer(w, err)
	}
	closeOver(over)
	return ok
}

// takeLocked removes receipt id from the book and returns it; b.mu is
// held.
func (b *receiptWaiters) takeLocked(id string) (receiptWaiter, bool) {
	var w receiptWaiter
	switch {
	case b.hasFirst && b.firstID == id:
		w = b.first
		b.first, b.firstID, b.hasFirst = receiptWaiter{}, "", false
	default:
		var ok bool
		if w, ok = b.byID[id]; !ok {
			return w, false
		}
		delete(b.byID, id)
	}
	if w.held {
		b.held.Add(-1)
	}
	return w, true
}

// lookLocked returns receipt id, left in the book; b.mu is held.
func (b *receiptWaiters) lookLocked(id string) (receiptWaiter, bool) {
	if b.hasFirst && b.firstID == id {
		return b.first, true
	}
	w, ok := b.byID[id]
	return w, ok
}

// storeLocked puts back receipt id, changed; b.mu is held.
func (b *receiptWaiters) storeLocked(id string, w receiptWaiter) {
	if b.hasFirst && b.firstID == id {
		b.first = w
		return
	}
	b.byID[id] = w
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
			lateIDs = append(lateIDs, b.firstID)
			w, _ := b.takeLocked(b.firstID)
			late = append(late, w)
		} else {
			next = b.first.deadline
		}
	}
	for id, w := range b.byID {
		if w.deadline.IsZero() {
			continue // its write has not ended: start gives it one
		}
		if !now.Before(w.deadline) {
			w, _ = b.takeLocked(id)
			late = append(late, w)
			lateIDs = append(lateIDs, id)
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
// effect, their outcome is unknown. A receipt whose RECEIPT is held is
// confirmed if its frame was written whole, and left to the write in
// flight when there is one (receiptheld.go). Receipts added after it are
// answered nowhere (add).
func (b *receiptWaiters) end(err error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.endErr = err
	if b.timer != nil {
		b.timer.Stop()
	}
	confirmed, unknown, over := b.endLocked()
	b.mu.Unlock()
	b.answerEnded(confirmed, unknown, err, over)
}

// finishLocked records that the ended book answered every receipt, once,
// and returns the channel to close for whoever waits for that (ended),
// if any. b.mu is held.
func (b *receiptWaiters) finishLocked() chan struct{} {
	if b.answered {
		return nil
	}
	b.answered = true
	over := b.over
	if over == nil {
		over = alreadyOver // nothing to close
	}
	return over
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
