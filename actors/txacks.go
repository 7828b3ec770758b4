package actors

import "context"

// The ACKs and NACKs of a transaction. The broker applies them at COMMIT
// and discards them at ABORT: the message is then unacknowledged again,
// and may be acknowledged again (in another transaction, or none). So a
// transaction keeps the ACKs written in it (txSet.acks), and an Abort
// whose ABORT was written undoes them: a client-mode route's record of
// what its ACKs covered goes back to what it was before (cumulative), and
// the caller's undo runs (api: the event is no longer settled). A COMMIT
// keeps them; a transaction lost with its connection takes them along
// (the link's txSet goes), and its messages come again anyway.

// txAck is one ACK or NACK written in a transaction.
type txAck struct {
	rt  *route
	seq uint32
	// prevThrough and prevCovered are the route's cumulative record
	// before this ACK (client mode only: cum).
	prevThrough uint32
	prevCovered bool
	cum         bool
	undo        func() // the caller's, or nil
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

// undoAcks undoes acks, the ACKs of a transaction its ABORT discarded,
// latest first, so that each client-mode route's record goes back to what
// it was before the transaction's first ACK of it, unless an ACK written
// since (outside it) covered more: that one stands.
func (c *Conn) undoAcks(l *link, acks []txAck) {
	for i := len(acks) - 1; i >= 0; i-- {
		a := acks[i]
		if a.cum {
			k := a.rt.cum
			if k.acquire(context.Background(), l, c.closed) == nil {
				if k.covered && k.through == a.seq {
					k.through, k.covered = a.prevThrough, a.prevCovered
				}
				k.release()
			}
		}
		if a.undo != nil {
			a.undo()
		}
	}
}
