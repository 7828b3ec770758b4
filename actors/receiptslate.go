package actors

// lateKept bounds the receipt ids a connection remembers having given up
// on: a RECEIPT comes late by a few seconds, not after a thousand other
// receipts timed out.
const lateKept = 1024

// lateReceipts remembers the ids of the receipts whose wait ended at
// their deadline (ErrReceiptTimeout), the last lateKept of them, so that
// a RECEIPT that comes for one afterwards is known as a late
// confirmation: the broker did take the frame, after the caller had
// stopped waiting. An id the client never gave out stays a protocol
// violation. Made on the first timeout: a connection whose receipts all
// come in time holds none.
type lateReceipts struct {
	ids  []string // a ring, oldest at next once full
	next int
	set  map[string]struct{}
}

// add remembers id, forgetting the oldest once lateKept are kept.
func (l *lateReceipts) add(id string) {
	if l.set == nil {
		l.set = map[string]struct{}{}
	}
	if _, dup := l.set[id]; dup {
		return
	}
	if len(l.ids) < lateKept {
		l.ids = append(l.ids, id)
	} else {
		delete(l.set, l.ids[l.next])
		l.ids[l.next] = id
		l.next = (l.next + 1) % lateKept
	}
	l.set[id] = struct{}{}
}

// take reports whether id was given up on, and forgets it: a second
// RECEIPT for it would be a violation again.
func (l *lateReceipts) take(id string) bool {
	if l == nil {
		return false
	}
	if _, ok := l.set[id]; !ok {
		return false
	}
	delete(l.set, id)
	return true
}

// gaveUpLocked records that the waits of ids ended at their deadline;
// b.mu is held.
func (b *receiptWaiters) gaveUpLocked(ids []string) {
	if len(ids) == 0 {
		return
	}
	if b.late == nil {
		b.late = &lateReceipts{}
	}
	for _, id := range ids {
		b.late.add(id)
	}
}

// cameLate reports whether id is a receipt whose wait ended at its
// deadline before its RECEIPT came (then forgotten), and counts it.
func (b *receiptWaiters) cameLate(id string) bool {
	b.mu.Lock()
	late := b.late.take(id)
	b.mu.Unlock()
	if late {
		b.stats.more().ReceiptsLate.Add(1)
	}
	return late
}
