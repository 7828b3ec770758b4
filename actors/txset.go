package actors

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/stompactor/stompactor/frames"
)

// txSet is the transactions open on one connection (a link's): the
// transactions actor records them as it queues BEGIN, COMMIT and ABORT,
// and senders look a frame's transaction up before writing it. A
// connection's transactions end with it, as the broker ends them, so a
// new connection starts with none.
//
// A BEGIN, COMMIT or ABORT counts from when it is queued, and what it did
// is settled by its frame's state, which the writer and a caller that
// gives up waiting race for (writeFrame.take, abandon), whenever the set
// is next looked at: a BEGIN the writer gave up (refused: frameRefused)
// leaves the id unknown; a COMMIT or ABORT its caller withdrew
// (frameAbandoned: it returned ErrTimeout or ErrCanceled) or the writer
// refused leaves the transaction open, to be committed or aborted again;
// one written (or on its way out) ends it.
type txSet struct {
	mu   sync.Mutex
	open map[string]*txState
	// notes are the Acks and Nacks made in each transaction, from when
	// they are made, for an Abort to undo (txacks.go).
	notes map[string]map[*TxAckNote]struct{}
	// cum is the latest message each open transaction's cumulative ACKs
	// covered, per route (ack mode client), and committed that of the
	// transactions committed on this connection, for the routes not
	// ended (pruneCommittedLocked; txacks.go).
	cum       map[string]map[*route]uint32
	committed map[*route]uint32
}

// txState is one transaction's frames not settled yet.
type txState struct {
	begin *writeFrame // its BEGIN, until written; nil when begun by raw bytes
	end   *writeFrame // the COMMIT or ABORT on its way, if any
	abort bool        // end is an ABORT
}

// settleLocked applies what st's frames did, as far as that is decided,
// and reports whether id is still known (open, or its BEGIN on its way).
// s.mu is held.
func (s *txSet) settleLocked(id string, st *txState) bool {
	if st.begin != nil {
		switch st.begin.state.Load() {
		case frameWritten:
			st.begin = nil
		case frameAbandoned, frameRefused:
			delete(s.open, id) // never begun at the broker
			s.endCumLocked(id, false)
			return false
		}
	}
	if st.end != nil {
		switch st.end.state.Load() {
		case frameWritten:
			delete(s.open, id)
			s.endCumLocked(id, !st.abort)
			return false
		case frameAbandoned, frameRefused:
			st.end, st.abort = nil, false // not written: still open
		}
	}
	return true
}

// lookLocked returns id's state, settled, or nil if id is not known.
func (s *txSet) lookLocked(id string) *txState {
	st, ok := s.open[id]
	if !ok || !s.settleLocked(id, st) {
		return nil
	}
	return st
}

// sweepLocked settles every id, so that the set keeps no frame (and no
// id) that is settled: a program that gives each transaction an id of its
// own would otherwise leave one behind per commit.
func (s *txSet) sweepLocked() {
	for id, st := range s.open {
		if st.begin != nil || st.end != nil {
			s.settleLocked(id, st)
		}
	}
	s.pruneCommittedLocked()
}

// begin records wf, a BEGIN of id about to be queued; it fails when id is
// known (open, begun, or its COMMIT or ABORT not yet written).
func (s *txSet) begin(id string, wf *writeFrame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	if st, ok := s.open[id]; ok {
		if st.end != nil {
			return fmt.Errorf("%w: %q is being committed or aborted: its frame is not written yet", ErrTransactionExists, id)
		}
		return ErrTransactionExists
	}
	if s.open == nil {
		s.open = make(map[string]*txState)
	}
	s.open[id] = &txState{begin: wf}
	return nil
}

// end records wf, a COMMIT or ABORT of id about to be queued; it fails
// when id is not open, or a COMMIT or ABORT of it is already on its way.
func (s *txSet) end(id string, wf *writeFrame, abort bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	st, ok := s.open[id]
	if !ok {
		return ErrUnknownTransaction
	}
	if st.end != nil {
		return fmt.Errorf("%w: %q is being committed or aborted already: its frame is not written yet", ErrUnknownTransaction, id)
	}
	st.end, st.abort = wf, abort
	return nil
}

// written records what bytes written by hand did to id: cmd began it
// (BEGIN) or ended it (COMMIT or ABORT). Written, they are the latest word
// on it, whatever was recorded before. An end does to the transaction's
// Acks what Commit or Abort does: a COMMIT folds their cover and drops
// their notes (the ACKs stay made); an ABORT drops their cover and undoes
// them (AbortingTransaction). Either way no note of id is left for a
// transaction of the same id begun later to undo.
func (s *txSet) written(id string, cmd frames.Command) {
	s.mu.Lock()
	if cmd == frames.CmdBegin {
		defer s.mu.Unlock()
		if s.open == nil {
			s.open = make(map[string]*txState)
		}
		s.open[id] = &txState{}
		return
	}
	delete(s.open, id)
	abort := cmd == frames.CmdAbort
	s.endCumLocked(id, !abort)
	set := s.notes[id]
	delete(s.notes, id)
	s.mu.Unlock()
	if abort {
		undoNotes(set)
	}
}

// has reports whether a frame may join id: it is open, or its BEGIN is on
// its way, and no COMMIT or ABORT of it is.
func (s *txSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.lookLocked(id)
	return st != nil && st.end == nil
}

// ids lists the ids a frame may join (has), sorted.
func (s *txSet) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	out := make([]string, 0, len(s.open))
	for id, st := range s.open {
		if st.end == nil {
			out = append(out, id)
		}
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
// transactions actor and checkTransaction do for the others: it returns
// what the bytes do to l's open transactions (a BEGIN opens one, a COMMIT
// or ABORT ends it), for the caller to apply once they are written, or
// refuses them when a SEND, ACK or NACK in them names a transaction not
// open (counting those the same bytes begin or end before it).
func rawTransactions(l *link, raw []byte) (map[string]frames.Command, error) {
	var changed map[string]frames.Command // the last BEGIN, COMMIT or ABORT of each id in these bytes
	for _, t := range frameTransactions(raw, l.version) {
		switch t.cmd {
		case frames.CmdBegin, frames.CmdCommit, frames.CmdAbort:
			if changed == nil {
				changed = map[string]frames.Command{}
			}
			changed[t.id] = t.cmd
		case frames.CmdSend, frames.CmdAck, frames.CmdNack:
			cmd, ok := changed[t.id]
			open := cmd == frames.CmdBegin
			if !ok {
				open = l.tx.has(t.id)
			}
			if !open {
				return nil, txNotOpen(t.id)
			}
		}
	}
	return changed, nil
}

// applyTransactions records what written bytes did (rawTransactions).
func applyTransactions(l *link, changed map[string]frames.Command) {
	for id, cmd := range changed {
		l.tx.written(id, cmd)
	}
}

// frameTransactions walks raw as frames (a command line, header lines up
// to a blank one, then a body that its content-length or a NUL ends) and
// returns, for each frame with a transaction header, its command and the
// header's first value, unescaped as v says: a body's lines are never
// taken for headers.
func frameTransactions(raw []byte, v frames.Version) []customReceipt {
	var out []customReceipt
	for {
		raw = bytes.TrimLeft(raw, "\r\n") // heart-beats between frames
		line, rest, ok := bytes.Cut(raw, []byte("\n"))
		if !ok {
			return out
		}
		cmd, _ := frames.ParseCommand(string(bytes.TrimSuffix(line, []byte("\r"))))
		raw = rest
		clen, tx, have := -1, "", false
		for {
			line, rest, ok = bytes.Cut(raw, []byte("\n"))
			if !ok {
				return out // the headers never end: not a frame
			}
			raw = rest
			line = bytes.TrimSuffix(line, []byte("\r"))
			if len(line) == 0 {
				break
			}
			k, val, _ := bytes.Cut(line, []byte(":"))
			switch string(k) {
			case frames.HdrTransaction:
				if !have {
					// An undefined escape: the broker refuses the frame,
					// and the value is taken as it stands.
					tx, have = string(val), true
					if u, err := frames.UnescapeValue(cmd, v, val); err == nil {
						tx = u
					}
				}
			case frames.HdrContentLength:
				if n, err := strconv.Atoi(string(val)); err == nil && n >= 0 && clen < 0 {
					clen = n
				}
			}
		}
		if have {
			out = append(out, customReceipt{id: tx, cmd: cmd})
		}
		if clen >= 0 && clen <= len(raw) {
			raw = raw[clen:]
		}
		i := bytes.IndexByte(raw, 0)
		if i < 0 {
			return out
		}
		raw = raw[i+1:]
	}
}

// txNotOpen is the error of a frame that names a transaction not open.
func txNotOpen(id string) error {
	return fmt.Errorf("%w: %q is not open on this connection (a transaction ends with the connection it was begun on)", ErrUnknownTransaction, id)
}
