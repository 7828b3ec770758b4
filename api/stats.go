package api

import (
	"maps"

	"github.com/stompactor/stompactor/actors"
)

// Stats is a snapshot of a client's counters since NewSTOMP (they survive
// reconnections and Reset, and keep their last values after Close): frames, bytes, messages, acknowledgements,
// receipts, heart-beats, drops, connections and panics, and the messages
// delivered to each live subscription.
type Stats = actors.Stats

// countPanic counts a panic (or a runtime.Goexit) recovered in a handler
// the engine did not see fail, in the engine's Stats.Panics (a closed
// connection's counters still count), or, for a client closed without
// one, in the final snapshot. Before the first Connect it makes the
// client's connection to count it in.
func (s *STOMP) countPanic() {
	s.mu.Lock()
	defer s.mu.Unlock()
	eng := s.eng
	if eng == nil && s.final != nil {
		s.final.Panics++
		return
	}
	if eng == nil && !s.closed {
		eng, _ = s.engineLocked()
	}
	if eng != nil {
		eng.CountPanic()
	}
}

// Stats returns the client's counters. Before the first Connect every
// counter is zero; after Close they keep the values Close left them
// with, so that a counter never goes down.
func (s *STOMP) Stats() Stats {
	s.mu.Lock()
	var out Stats
	switch {
	case s.final != nil && s.eng != nil:
		// The closed connection's counters, which still move for what
		// ends after Close (a handler's panic, say); its subscriptions
		// as they were when it closed.
		out = s.eng.Stats()
		out.Subscriptions = maps.Clone(s.final.Subscriptions)
	case s.final != nil:
		out = *s.final
		out.Subscriptions = maps.Clone(s.final.Subscriptions)
	case s.eng != nil:
		out = s.eng.Stats() // atomics only: safe under s.mu
	default:
		out.Subscriptions = map[string]int64{}
	}
	s.mu.Unlock()
	out.EventsDropped = s.EventsDropped()
	return out
}

// keepFinalStats takes the snapshot of what Stats returns once Close
// ended that the connection no longer keeps (its subscriptions; all of
// them without a connection), taken once.
func (s *STOMP) keepFinalStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keepFinalStatsLocked()
}

func (s *STOMP) keepFinalStatsLocked() {
	if s.final != nil {
		return
	}
	st := Stats{Subscriptions: map[string]int64{}}
	if s.eng != nil {
		st = s.eng.Stats()
	}
	s.final = &st
}
