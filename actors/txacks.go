package actors

// The ACKs and NACKs of a transaction. The broker applies them at COMMIT
// and discards them at ABORT: the message is then unacknowledged again,
// and may be acknowledged again (in another transaction, or none). So a
// transaction keeps the ACKs written in it (txSet.acks), and an Abort
// whose ABORT was written runs their undo (api: the event is no longer
// settled). A COMMIT keeps them; a transaction lost with its connection
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

// txAck is one ACK or NACK written in a transaction.
type txAck struct {
	undo func() // the caller's, or nil
}

// addAck records a written in transaction id, if id is still open.
func (s *txSet) addAck(id string, a txAck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lookLocked(id) == nil {
		return
	}
	if s.acks == nil {
		s.acks = make(map[string][]txAck)
	}
	s.acks[id] = append(s.acks[id], a)
}

// aborted takes the ACKs of transaction id once its ABORT was written;
// nil while it is open (the ABORT not written, or refused).
func (s *txSet) aborted(id string) []txAck {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lookLocked(id) != nil {
		return nil
	}
	out := s.acks[id]
	delete(s.acks, id)
	if len(s.acks) == 0 {
		s.acks = nil
	}
	return out
}

// undoAcks runs the undo of acks, the ACKs of a transaction its ABORT
// discarded.
func (c *Conn) undoAcks(acks []txAck) {
	for _, a := range acks {
		if a.undo != nil {
			a.undo()
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cum == nil && s.committed == nil {
		return false
	}
	for id := range s.cum {
		if st, ok := s.open[id]; ok {
			s.settleLocked(id, st) // a COMMIT or ABORT written: fold or drop
		}
	}
	if t, ok := s.committed[rt]; ok && int32(seq-t) <= 0 {
		return true
	}
	for _, m := range s.cum {
		if t, ok := m[rt]; ok && int32(seq-t) <= 0 {
			return true
		}
	}
	return false
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
	for rt, seq := range m {
		if t, ok := s.committed[rt]; !ok || int32(seq-t) > 0 {
			s.committed[rt] = seq
		}
	}
}

// coveredOn reports whether an ACK or NACK written on l covered rt's
// message seq (ack mode client): outside any transaction (rt.cum), or in
// one open or committed (l.tx). rt's turn is held.
func coveredOn(l *link, rt *route, seq uint32) bool {
	return rt.cum.covers(seq) || l.tx.covers(rt, seq)
}
