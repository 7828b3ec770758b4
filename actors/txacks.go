package actors

import (
	"errors"
	"sync/atomic"
)

// The ACKs and NACKs of a transaction. The broker applies them at COMMIT
// and discards them at ABORT: the message is then unacknowledged again,
// and may be acknowledged again (in another transaction, or none). So
// each Ack made in a transaction is noted as it is made (NoteTxAck,
// txSet.notes), and AbortingTransaction, as Abort is called, undoes the
// transaction's (api: the event is no longer settled). A Commit takes
// them (CommittingTransaction); a transaction lost with its connection
// takes them along (the link's txSet goes), and its messages come again
// anyway.
//
// In ack mode client an ACK covers the earlier messages of its
// subscription too (cumulative.go). What a route's ACKs cover is the
// largest of: the route's own record (cumulative.through: ACKs outside
// any transaction), the latest message an ACK of a transaction committed
// on this connection covered (txSet.committed), and the latest one each
// open transaction's ACKs covered (txSet.cum). A COMMIT written folds the
// transaction's into committed; an ABORT drops it. So the cover is never
// restored from a saved value, which an ACK aborted since may have made:
// two transactions aborted in any order leave nothing of either.

// TxAckNote is the note of an Ack or Nack made in a transaction, taken
// as the call is made (NoteTxAck), before it is queued or written, for
// AbortingTransaction to undo. It holds only the caller's undo: the api
// passes one that reaches its event through a weak pointer, so that an
// open transaction does not keep the events acknowledged in it.
type TxAckNote struct {
	state atomic.Uint32 // noteStanding, noteUndone or noteCanceled
	undo  func()
	s     *txSet
	id    string
}

const (
	noteStanding uint32 = iota
	noteUndone          // an abort ran undo
	noteCanceled        // the Ack was not made
)

// NoteTxAck notes an Ack or Nack about to be made in transaction id on
// the current connection: AbortingTransaction(id) runs undo, unless
// Cancel was called first. It returns nil when there is no connection
// (the Ack will fail: nothing to undo).
func (c *Conn) NoteTxAck(id string, undo func()) *TxAckNote {
	l := c.link.Load()
	if l == nil {
		return nil
	}
	n := &TxAckNote{undo: undo, s: &l.tx, id: id}
	l.tx.mu.Lock()
	defer l.tx.mu.Unlock()
	l.tx.addNoteLocked(n)
	return n
}

// addNoteLocked files n among the notes of its transaction. s.mu is held.
func (s *txSet) addNoteLocked(n *TxAckNote) {
	if s.notes == nil {
		s.notes = make(map[string]map[*TxAckNote]struct{})
	}
	set := s.notes[n.id]
	if set == nil {
		set = make(map[*TxAckNote]struct{})
		s.notes[n.id] = set
	}
	set[n] = struct{}{}
}

// Cancel withdraws the note of an Ack that was not made (refused before
// its frame was written). It reports whether the note still stood; false
// means an abort undid it already (its undo ran), and the caller must
// not undo it again: the event may have been acknowledged since. A nil
// note reports true.
func (n *TxAckNote) Cancel() bool {
	if n == nil {
		return true
	}
	if !n.state.CompareAndSwap(noteStanding, noteCanceled) {
		return false
	}
	n.s.mu.Lock()
	defer n.s.mu.Unlock()
	if set := n.s.notes[n.id]; set != nil {
		delete(set, n)
		if len(set) == 0 {
			delete(n.s.notes, n.id)
		}
	}
	return true
}

// AbortingTransaction undoes the Acks and Nacks noted in transaction id,
// as its Abort is called, before the ABORT is queued or waited for: once
// Abort is called, they cannot take effect at the broker whatever comes
// next. Either the ABORT is written and the broker discards them, or the
// connection ends first and the broker aborts the open transaction with
// it. (An ABORT refused before it is written leaves the transaction open
// with them at the broker; the client has forgotten them all the same:
// abort it again, do not commit it.) Their notes are dropped and their
// undo runs (api: the event is no longer settled), and the cover of the
// transaction's cumulative ACKs is dropped, unless a COMMIT of id is on
// its way (the Abort will be refused). An ACK in id written after this
// (queued before the ABORT) covers until the ABORT is written.
func (c *Conn) AbortingTransaction(id string) {
	l := c.link.Load()
	if l == nil {
		return
	}
	s := &l.tx
	s.mu.Lock()
	set := s.notes[id]
	delete(s.notes, id)
	if st, ok := s.open[id]; !ok || st.end == nil || st.abort {
		s.endCumLocked(id, false)
	}
	s.mu.Unlock()
	undoNotes(set)
}

// undoNotes runs the undo of each note in set that still stands (no
// Cancel, no earlier abort), once. s.mu is not held.
func undoNotes(set map[*TxAckNote]struct{}) {
	for n := range set {
		if n.state.CompareAndSwap(noteStanding, noteUndone) && n.undo != nil {
			n.undo()
		}
	}
}

// CommittingTransaction takes the notes of transaction id as its Commit
// is called, so that Acks noted from now on (in a transaction of the same
// id begun again) are not taken with them. The caller calls done once the
// Commit returned: written, the notes are dropped (the ACKs stay made);
// not written, the transaction is still open and they are put back, for
// an Abort. Only the first call of done counts.
func (c *Conn) CommittingTransaction(id string) (done func(written bool)) {
	l := c.link.Load()
	if l == nil {
		return func(bool) {}
	}
	s := &l.tx
	s.mu.Lock()
	set := s.notes[id]
	delete(s.notes, id)
	s.mu.Unlock()
	var once atomic.Bool
	return func(written bool) {
		if !once.CompareAndSwap(false, true) || written || len(set) == 0 {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for n := range set {
			if n.state.Load() == noteStanding {
				s.addNoteLocked(n)
			}
		}
	}
}

// coverIn records, before it is written, a cumulative ACK of rt's message
// seq in transaction id, and returns what to call if it was not written
// after all. rt's turn is held: nothing else changes rt's entry of id but
// the transaction's end, which drops or folds the whole entry.
func (s *txSet) coverIn(id string, rt *route, seq uint32) (unwritten func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cum == nil {
		s.cum = make(map[string]map[*route]uint32)
	}
	m := s.cum[id]
	if m == nil {
		m = make(map[*route]uint32)
		s.cum[id] = m
	}
	prev, had := m[rt]
	if had && int32(seq-prev) <= 0 {
		return func() {}
	}
	m[rt] = seq
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		m := s.cum[id]
		if m == nil || m[rt] != seq {
			return // the transaction ended meanwhile
		}
		if had {
			m[rt] = prev
			return
		}
		delete(m, rt)
		if len(m) == 0 {
			delete(s.cum, id)
		}
	}
}

// covers reports whether a cumulative ACK of rt written in a transaction
// that is open or was committed on this connection covers its message
// seq. rt's turn is held.
func (s *txSet) covers(rt *route, seq uint32) bool {
	covered, _ := s.coverOf(rt, seq)
	return covered
}

// coverOf is covers, and reports too whether the cover is only that of
// transactions still open (forNow), which an abort may take back.
func (s *txSet) coverOf(rt *route, seq uint32) (covered, forNow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cum == nil && s.committed == nil {
		return false, false
	}
	for id := range s.cum {
		if st, ok := s.open[id]; ok {
			s.settleLocked(id, st) // a COMMIT or ABORT written: fold or drop
		}
	}
	if t, ok := s.committed[rt]; ok && int32(seq-t) <= 0 {
		return true, false
	}
	for _, m := range s.cum {
		if t, ok := m[rt]; ok && int32(seq-t) <= 0 {
			return true, true
		}
	}
	return false, false
}

// endCumLocked applies the end of transaction id to the cover of its
// cumulative ACKs: a COMMIT folds them into committed, an ABORT drops
// them. s.mu is held.
func (s *txSet) endCumLocked(id string, commit bool) {
	m, ok := s.cum[id]
	if !ok {
		return
	}
	delete(s.cum, id)
	if len(s.cum) == 0 {
		s.cum = nil
	}
	if !commit {
		return
	}
	if s.committed == nil {
		s.committed = make(map[*route]uint32)
	}
	s.pruneCommittedLocked()
	for rt, seq := range m {
		if t, ok := s.committed[rt]; !ok || int32(seq-t) > 0 {
			s.committed[rt] = seq
		}
	}
}

// pruneCommittedLocked drops from committed the routes whose subscription
// ended: an Ack of their messages is refused before any cover is looked
// at, and a connection whose subscriptions come and go must not keep each
// ended route (its spec, handler, queue) for its life. It runs at each
// COMMIT folded and each sweep (Begin, Commit, Abort), so an ended route
// stays at most until the next of those. s.mu is held.
func (s *txSet) pruneCommittedLocked() {
	for rt := range s.committed {
		select {
		case <-rt.done:
			delete(s.committed, rt)
		default:
		}
	}
}

// coveredOn reports whether an ACK or NACK written on l covered rt's
// message seq (ack mode client): outside any transaction (rt.cum), or in
// one open or committed (l.tx). rt's turn is held.
func coveredOn(l *link, rt *route, seq uint32) bool {
	return rt.cum.covers(seq) || l.tx.covers(rt, seq)
}

// errCoveredForNow is the ErrAlreadyAcked of an Ack of a message that only
// the cumulative ACK of a transaction still open covers: an abort of that
// transaction takes the cover back, and the message may then be
// acknowledged (CoveredForNow).
var errCoveredForNow = NewError(CodeAlreadyAcked, "stomp: message already acknowledged: a cumulative ACK of a later message,"+
	" in a transaction still open, covers it (aborted, it covers nothing)", nil)

// ackCovered returns the error of an Ack of rt's message seq that an ACK
// written on l covered (coveredOn), or nil: ErrAlreadyAcked, or
// errCoveredForNow when only an open transaction's cover holds it.
func ackCovered(l *link, rt *route, seq uint32) error {
	if rt.cum.covers(seq) {
		return ErrAlreadyAcked
	}
	switch covered, forNow := l.tx.coverOf(rt, seq); {
	case !covered:
		return nil
	case forNow:
		return errCoveredForNow
	}
	return ErrAlreadyAcked
}

// CoveredForNow reports whether err, an Ack's ErrAlreadyAcked, says the
// message is covered only by the cumulative ACK of a transaction still
// open: the caller may ask again (AckRef), an abort having taken the
// cover back. Any other ErrAlreadyAcked is for good on its connection.
func CoveredForNow(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err == error(errCoveredForNow) {
			return true
		}
	}
	return false
}
