package api

import "github.com/stompactor/stompactor/actors"

// Stats is a snapshot of a client's counters since NewSTOMP (they survive
// reconnections and Reset): frames, bytes, messages, acknowledgements,
// receipts, heart-beats, drops, connections and panics, and the messages
// received per live subscription.
type Stats = actors.Stats

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
