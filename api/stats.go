package api

import "github.com/stompactor/stompactor/actors"

// Stats is a snapshot of a client's counters since NewSTOMP (they survive
// reconnections and Reset): frames, bytes, messages, acknowledgements,
// receipts, heart-beats, drops, connections and panics, and the messages
// received per live subscription.
type Stats = actors.Stats

// countPanic counts a panic (or a runtime.Goexit) recovered in a handler
// the engine did not see fail, in the engine's Stats.Panics. Before the
// first Connect it makes the client's connection to count it in.
func (s *STOMP) countPanic() {
	s.mu.Lock()
	defer s.mu.Unlock()
	eng := s.eng
	if eng == nil && !s.closed {
		eng, _ = s.engineLocked()
	}
	if eng != nil {
		eng.CountPanic()
	}
}

// Stats returns the client's counters. Before the first Connect every
// counter is zero.
func (s *STOMP) Stats() Stats {
	var out Stats
	if eng, err := s.engine(); err == nil && eng != nil {
		out = eng.Stats()
	} else {
		out.Subscriptions = map[string]int64{}
	}
	out.EventsDropped = s.EventsDropped()
	return out
}
