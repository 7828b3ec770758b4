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
// transactions actor and checkTransaction do for the others: it returns
// what the bytes do to l's open transactions (a BEGIN opens one, a COMMIT
// or ABORT ends it), for the caller to apply once they are written, or
// refuses them when a SEND, ACK or NACK in them names a transaction not
// open (counting those the same bytes begin or end before it).
func rawTransactions(l *link, raw []byte) (map[string]bool, error) {
	var changed map[string]bool // open (true) or ended (false) by these bytes
	for _, t := range frameTransactions(raw, l.version) {
		switch t.cmd {
		case frames.CmdBegin, frames.CmdCommit, frames.CmdAbort:
			if changed == nil {
				changed = map[string]bool{}
			}
			changed[t.id] = t.cmd == frames.CmdBegin
		case frames.CmdSend, frames.CmdAck, frames.CmdNack:
			open, ok := changed[t.id]
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
func applyTransactions(l *link, changed map[string]bool) {
	for id, open := range changed {
		if open {
			l.tx.add(id)
		} else {
			l.tx.remove(id)
		}
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
