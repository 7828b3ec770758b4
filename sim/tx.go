package sim

import "github.com/stompactor/stompactor/frames"

// transaction holds the SEND, ACK and NACK frames of an open transaction
// until COMMIT applies them in order or ABORT drops them.
type transaction struct {
	ops []*message
}

// txID returns a transaction frame's transaction header.
func txID(f *frames.Frame) (string, error) {
	id, ok := f.Headers.Get(frames.HdrTransaction)
	if !ok || id == "" {
		return "", protoErr("missing transaction header", "%s needs a transaction header.", f.Command)
	}
	return id, nil
}

// begin handles BEGIN.
func (st *state) begin(s *session, f *frames.Frame) error {
	id, err := txID(f)
	if err != nil {
		return err
	}
	if s.txs[id] != nil {
		return protoErr("transaction already open", "Transaction %q is already open.", id)
	}
	s.txs[id] = &transaction{}
	s.txList = append(s.txList, id)
	return nil
}

// hold adds a frame to an open transaction.
func (st *state) hold(s *session, id string, m *message) error {
	t := s.txs[id]
	if t == nil {
		return protoErr("unknown transaction", "There is no open transaction %q.", id)
	}
	if len(t.ops) >= st.cfg.maxQueued {
		return protoErr("transaction too large", "Transaction %q holds %d frames, the most this broker keeps.", id, len(t.ops))
	}
	t.ops = append(t.ops, m)
	return nil
}

// closeTx removes an open transaction from the session.
func (st *state) closeTx(s *session, f *frames.Frame) (*transaction, error) {
	id, err := txID(f)
	if err != nil {
		return nil, err
	}
	t := s.txs[id]
	if t == nil {
		return nil, protoErr("unknown transaction", "There is no open transaction %q.", id)
	}
	delete(s.txs, id)
	for i, x := range s.txList {
		if x == id {
			s.txList = append(s.txList[:i], s.txList[i+1:]...)
			break
		}
	}
	return t, nil
}

// commit handles COMMIT: the held frames take effect in order. An ACK or
// NACK whose message was settled meanwhile is skipped.
func (st *state) commit(s *session, f *frames.Frame) error {
	t, err := st.closeTx(s, f)
	if err != nil {
		return err
	}
	for _, m := range t.ops {
		switch op := &m.frame; op.Command {
		case frames.CmdSend:
			name, kind, err := st.destination(op)
			if err == nil {
				st.publish(name, kind, m)
			}
		case frames.CmdAck, frames.CmdNack:
			st.apply(s, op)
		}
	}
	return nil
}

// abort handles ABORT: the held frames are dropped.
func (st *state) abort(s *session, f *frames.Frame) error {
	_, err := st.closeTx(s, f)
	return err
}
