package actors

import (
	"fmt"
	"sort"
	"sync"

	"github.com/stompactor/stompactor/frames"
)

// txSet is the transactions open on one connection (a link's): the
// transactions actor adds and removes them as it writes BEGIN, COMMIT and
// ABORT, and senders look a frame's transaction up before writing it. A
// connection's transactions end with it, as the broker ends them, so a
// new connection starts with none.
type txSet struct {
	mu   sync.Mutex
	open map[string]struct{}
}

func (s *txSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.open[id]; ok {
		return false
	}
	if s.open == nil {
		s.open = make(map[string]struct{})
	}
	s.open[id] = struct{}{}
	return true
}

func (s *txSet) remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.open[id]; !ok {
		return false
	}
	delete(s.open, id)
	return true
}

func (s *txSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.open[id]
	return ok
}

func (s *txSet) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.open))
	for id := range s.open {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// checkTransaction refuses a SEND, ACK or NACK that names a transaction
// not open on l's connection: one lost with an earlier connection (the
// broker has aborted it, and would refuse the frame with an ERROR, or end
// the new connection for it), one committed or aborted, or one never
// begun with Begin.
func checkTransaction(l *link, f *frames.Frame) error {
	switch f.Command {
	case frames.CmdSend, frames.CmdAck, frames.CmdNack:
	default:
		return nil
	}
	id, ok := f.Headers.Get(frames.HdrTransaction)
	if !ok || l.tx.has(id) {
		return nil
	}
	return txNotOpen(id)
}

// rawTransactions does for frames written by hand (SendRaw) what the
// transactions actor and checkTransaction do for the others: a BEGIN
// opens its transaction on l's connection, a COMMIT or ABORT ends it,
// and a SEND, ACK or NACK naming one not open (counting those the same
// bytes begin or end before it) refuses the bytes, before anything is
// written or recorded.
func rawTransactions(l *link, txs []customReceipt) error {
	if len(txs) == 0 {
		return nil
	}
	changed := map[string]bool{} // open (true) or ended (false) by these bytes
	for _, t := range txs {
		switch t.cmd {
		case frames.CmdBegin:
			changed[t.id] = true
		case frames.CmdCommit, frames.CmdAbort:
			changed[t.id] = false
		case frames.CmdSend, frames.CmdAck, frames.CmdNack:
			open, ok := changed[t.id]
			if !ok {
				open = l.tx.has(t.id)
			}
			if !open {
				return txNotOpen(t.id)
			}
		}
	}
	for id, open := range changed {
		if open {
			l.tx.add(id)
		} else {
			l.tx.remove(id)
		}
	}
	return nil
}

// txNotOpen is the error of a frame that names a transaction not open.
func txNotOpen(id string) error {
	return fmt.Errorf("%w: %q is not open on this connection (a transaction ends with the connection it was begun on)", ErrUnknownTransaction, id)
}
