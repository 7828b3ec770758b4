package actors

import "sync/atomic"

// A RECEIPT confirms a frame only once the frame's last byte was written.
//
// A receipt is registered before its frame's bytes can leave, so its
// RECEIPT never finds nobody waiting; but a RECEIPT may still come while
// the frame is being written: from a broker that answers once it read
// the headers and then drops the connection, or one that guesses the
// next receipt id. Taken as the answer, it would confirm a frame the
// broker never had whole (a SEND reported sent, an at-least-once message
// dropped from the outbox). Nor can such a RECEIPT be refused: on a fast
// connection an honest broker reads the whole frame and answers before
// the write that carried it has returned to the writer.
//
// So a RECEIPT that comes before its frame's last byte was written is
// held (and reported, ReceiptInEvent, only once it confirms): the write
// that takes that byte answers it as confirmed. If the connection ends
// first, a write still under way (the socket's close ends it at once)
// says, as it returns, whether it took that byte; without one the frame
// was not written whole, and the receipt's outcome is unknown, as for
// any receipt still awaited. Nothing per frame is done on the way: each
// frame's receipt records where its last byte is in the link's stream
// (the queue's bytes given out so far, plus the frame's end in the
// buffer, under the queue's lock); each write counts itself under way
// (inflight), adds the bytes the socket took to one counter (wrote) as
// each of its socket writes returns (a large buffer goes in pieces,
// writeOut, so a frame that ended in an early piece is confirmed then,
// not once the rest left), and at its end stops counting itself under
// way, after it added its last bytes. It looks for held receipts only
// when one is held. The RECEIPT side marks the receipt held before it
// reads the counter again, and a write adds to the counter before it
// looks for held receipts, so one of the two always sees the other: a
// held receipt is never left waiting for a write that already ended. The
// end of the connection reads the writes under way before the counter
// (endLocked), so a write it does not see under way has its bytes
// counted.
//
// The session's book (outbox messages) holds its RECEIPTs the same way
// (receiptBook.confirm, receiptBook.releaseWritten): the writer tells the
// session (receiptsWritten) after a write while bookHeld counts some. A
// connection that ends before the write returned takes an outbox
// message back all the same: it is sent again, at worst a copy the
// broker de-duplicates, as for a RECEIPT lost with the connection.

// holdLocked holds receipt id, whose RECEIPT came before its frame's
// last byte was written, and reports true; false when the byte was
// written meanwhile (a write the writer may have ended before it saw the
// receipt held), and the receipt is not held. b.mu is held.
func (b *receiptWaiters) holdLocked(id string, w receiptWaiter) bool {
	w.held = true
	b.storeLocked(id, w)
	b.heldIDs = append(b.heldIDs, id)
	b.held.Add(1)
	if w.end > b.wrote.Load() {
		return true
	}
	w.held = false
	b.storeLocked(id, w)
	b.heldIDs = b.heldIDs[:len(b.heldIDs)-1]
	b.held.Add(-1)
	return false
}

// writing records that a write of the link's stream begins; written
// records its end.
func (b *receiptWaiters) writing() { b.inflight.Add(1) }

// written records the end of a write (writing) in which the socket took
// n bytes of the link's stream (n > 0 also when it failed: those bytes
// left), answers the receipts held for frames now written whole, and
// reports whether the session's book holds some too (receiptsWritten).
func (b *receiptWaiters) written(n int) bool {
	if n > 0 {
		b.wrote.Add(int64(n))
	}
	b.inflight.Add(-1)
	if b.held.Load() > 0 {
		b.release()
	}
	return b.bookHeld.Load() > 0
}

// wrotePiece records that the socket took n more bytes of the link's
// stream in a write still under way (a piece of a large buffer,
// writeOut), and answers the receipts held for frames now written whole,
// as written does; the write still counts as under way, for an end that
// comes meanwhile (endLocked leaves the rest to it).
func (b *receiptWaiters) wrotePiece(n int) bool {
	if n > 0 {
		b.wrote.Add(int64(n))
	}
	if b.held.Load() > 0 {
		b.release()
	}
	return b.bookHeld.Load() > 0
}

// release answers, as confirmed, the held receipts whose frames are now
// written whole; once the connection ended and no write is under way,
// the rest too (endLocked).
func (b *receiptWaiters) release() {
	var ready, unknown []receiptWaiter
	var over chan struct{}
	b.mu.Lock()
	if b.closed {
		ready, unknown, over = b.endLocked()
	} else {
		total := b.wrote.Load()
		keep := b.heldIDs[:0]
		for _, id := range b.heldIDs {
			w, ok := b.lookLocked(id)
			switch {
			case !ok || !w.held:
				// Answered otherwise meanwhile (an ERROR, its deadline).
			case w.end > total:
				keep = append(keep, id)
			default:
				w, _ = b.takeLocked(id)
				b.reportLocked(id)
				ready = append(ready, w)
			}
		}
		clear(b.heldIDs[len(keep):])
		b.heldIDs = keep // its array kept for the next
	}
	err := b.endErr
	b.mu.Unlock()
	b.answerEnded(ready, unknown, err, over)
}

// endLocked takes out of the ended book every receipt whose answer is
// known: as confirmed, a held one whose frame was written whole; as
// unknown, the others, except a held one while a write is under way,
// whose end (written) says. over is the channel to close once the book
// is empty (finishLocked), nil before. b.mu is held.
func (b *receiptWaiters) endLocked() (confirmed, unknown []receiptWaiter, over chan struct{}) {
	// The writes under way first, then the bytes written: a write adds
	// its bytes before it stops counting as under way (written), so a
	// write the first load finds ended has its bytes in the second, and
	// one that ends between the two loads was found under way and
	// answers the held receipts itself (release, behind this lock). Read
	// the other way round, such a write was missed both ways: its bytes
	// not in total, and not under way.
	writing := b.inflight.Load() > 0
	if h := endLoadsHook.Load(); h != nil {
		(*h)(b)
	}
	total := b.wrote.Load()
	settle := func(id string, w receiptWaiter) {
		switch {
		case w.held && w.end <= total:
			b.reportLocked(id)
			confirmed = append(confirmed, w)
		case w.held && writing:
			return // the write under way says
		default:
			unknown = append(unknown, w)
		}
		b.takeLocked(id)
	}
	if b.hasFirst {
		settle(b.firstID, b.first)
	}
	for id, w := range b.byID {
		settle(id, w)
	}
	if b.emptyLocked() {
		b.byID, b.heldIDs = nil, nil
		over = b.finishLocked()
	}
	return confirmed, unknown, over
}

// emptyLocked reports whether the book awaits no receipt. b.mu is held.
func (b *receiptWaiters) emptyLocked() bool { return !b.hasFirst && len(b.byID) == 0 }

// reportLocked reports the RECEIPT of receipt id, held until now, as it
// confirms its frame. b.mu is held.
func (b *receiptWaiters) reportLocked(id string) {
	if b.c != nil {
		reportReceipt(b.c, id)
	}
}

// answerEnded answers confirmed and, with their outcome unknown (err is
// why the connection ended), unknown, and then closes over, if any.
func (b *receiptWaiters) answerEnded(confirmed, unknown []receiptWaiter, err error, over chan struct{}) {
	for _, w := range confirmed {
		b.answer(w, nil)
	}
	if len(unknown) > 0 {
		unknownErr := outcomeUnknown(err)
		for _, w := range unknown {
			b.answer(w, unknownErr)
		}
	}
	closeOver(over)
}

// closeOver closes over unless it is nil or alreadyOver.
func closeOver(over chan struct{}) {
	if over != nil && over != alreadyOver {
		close(over)
	}
}

// receiptsWritten tells the session that a write of connection gen ended
// while its book held receipts: those of frames now written whole are
// confirmed (receiptBook.releaseWritten).
type receiptsWritten struct{ gen uint64 }

// endLoadsHook, when set (by a test), runs in endLocked between its two
// loads, so that a test can end a write right there.
var endLoadsHook atomic.Pointer[func(*receiptWaiters)]
