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
// the engine did not see fail, in the engine's Stats.Panics, or once Close
// took its final snapshot, in that. Before the first Connect it makes the
// client's connection to count it in.
func (s *STOMP) countPanic() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final != nil {
		s.final.Panics++
		return
	}
	eng := s.eng
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

// keepFinalStats takes the snapshot Stats returns once Close ended: the
// closed connection's counters (zero without one), taken once.
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
