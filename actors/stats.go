package actors

import "sync/atomic"

// counters are a connection's running totals, moved with atomics by its
// actors and its reader.
type counters struct {
	FramesIn, FramesOut   atomic.Int64
	BytesIn, BytesOut     atomic.Int64
	MessagesIn            atomic.Int64
	MessagesOut           atomic.Int64
	Acks, Nacks           atomic.Int64
	ReceiptsPending       atomic.Int64
	HeartbeatsIn          atomic.Int64
	HeartbeatsOut         atomic.Int64
	Dropped               atomic.Int64
	Connects, Disconnects atomic.Int64
	// rare holds the counters most connections never move, made by the
	// first that does (more).
	rare atomic.Pointer[rareCounters]
}

// rareCounters are the counters of events most connections never see.
type rareCounters struct {
	HeartbeatsMissed atomic.Int64
	Panics           atomic.Int64
	Reconnects       atomic.Int64
	Resent           atomic.Int64
	DeadLettered     atomic.Int64
	ReceiptsLate     atomic.Int64
	ConnectsQueued   atomic.Int64
}

// more returns the rare counters, making them on first use.
func (s *counters) more() *rareCounters {
	if r := s.rare.Load(); r != nil {
		return r
	}
	if r := new(rareCounters); s.rare.CompareAndSwap(nil, r) {
		return r
	}
	return s.rare.Load()
}

// Stats is a snapshot of a connection's counters since it was made (they
// survive reconnections).
//
// Dropped counts, once each and in every ack mode, the messages received
// (counted in MessagesIn) that no handler, DeadLetter hook or Receive was
// given, so that MessagesIn - Dropped is what the program got (the SENDs
// at the end of this paragraph aside): those a FullDrop queue had no room
// for; those that need an ACK and had not reached their handler or
// Receive when Disconnect began, Unsubscribe ended their subscription or
// their connection ended (the broker redelivers them); every message
// still queued for a handler, or for Receive, when the connection ended
// for good (Close, a Disconnect whose wait timed out, a loss with no
// reconnect) or Unsubscribe ended a Pull subscription; one that arrives
// after its subscription ended; one whose Handler returned AckNotHandled
// (the api's, for a message whose MessageIn job still waited for DoEvents
// when the client closed); and the auto-ack messages a Disconnect
// left to Receive that Close or Unsubscribe then dropped (or that a
// handler's subscription took over and did not handle before its
// connection ended for good). It also counts the SENDs queued without
// waiting behind DISCONNECT and never written.
type Stats struct {
	FramesIn, FramesOut     int64 // frames received and written, heart-beats not counted
	BytesIn, BytesOut       int64 // bytes read from and written to the socket
	MessagesIn, MessagesOut int64 // MESSAGE frames received (dropped ones included), SEND frames written
	Acks, Nacks             int64 // ACK and NACK frames sent
	ReceiptsPending         int64 // receipts awaited right now
	HeartbeatsIn            int64 // heart-beats (EOLs) received while incoming heart-beats were negotiated, not the padding of frames: the first EOL after a frame's NUL and those that follow it in the same read (a beat sent in that read is missed; padding split across reads past its first EOL counts)
	HeartbeatsOut           int64 // heart-beats sent
	HeartbeatsMissed        int64 // connections ended by server silence
	Dropped                 int64 // messages received that the program was never given, and SENDs never written (see Stats)
	Connects, Disconnects   int64 // connections made and ended
	Reconnects              int64 // connections restored by the Reconnect policy
	Resent                  int64 // at-least-once messages sent again after a reconnect
	DeadLettered            int64 // messages past a subscription's MaxDeliveries, handed to DeadLetter (which returned) and acknowledged
	ReceiptsLate            int64 // RECEIPTs that came after their wait had ended at its deadline (ErrReceiptTimeout): the broker did take those frames
	ConnectsQueued          int64 // automatic reconnect attempts that waited for a slot of the engine's MaxConcurrentConnects
	Outbox                  int64 // at-least-once messages waiting for their RECEIPT
	Panics                  int64 // panics recovered in handlers and actors, and handlers that ended their goroutine (runtime.Goexit)
	EventsDropped           int64 // events dropped by a full event queue (counted by whoever queues them)
	// Subscriptions counts the messages delivered to each live
	// subscription (its Delivered), by id: received and not dropped.
	Subscriptions map[string]int64
}

// CountPanic counts in Stats.Panics a panic (or a runtime.Goexit) that a
// layer above the engine recovered in a handler of its own, which the
// engine never saw.
func (c *Conn) CountPanic() { c.stats.more().Panics.Add(1) }

// Stats returns a snapshot of the connection's counters.
func (c *Conn) Stats() Stats {
	s := &c.stats
	out := Stats{
		FramesIn: s.FramesIn.Load(), FramesOut: s.FramesOut.Load(),
		BytesIn: s.BytesIn.Load(), BytesOut: s.BytesOut.Load(),
		MessagesIn: s.MessagesIn.Load(), MessagesOut: s.MessagesOut.Load(),
		Acks: s.Acks.Load(), Nacks: s.Nacks.Load(),
		ReceiptsPending: s.ReceiptsPending.Load(),
		HeartbeatsIn:    s.HeartbeatsIn.Load(),
		HeartbeatsOut:   s.HeartbeatsOut.Load(),
		Dropped:         s.Dropped.Load(),
		Connects:        s.Connects.Load(), Disconnects: s.Disconnects.Load(),
		Outbox: int64(c.Outbox()),
	}
	if r := s.rare.Load(); r != nil {
		out.HeartbeatsMissed = r.HeartbeatsMissed.Load()
		out.Panics = r.Panics.Load()
		out.Reconnects = r.Reconnects.Load()
		out.Resent = r.Resent.Load()
		out.DeadLettered = r.DeadLettered.Load()
		out.ReceiptsLate = r.ReceiptsLate.Load()
		out.ConnectsQueued = r.ConnectsQueued.Load()
	}
	out.Subscriptions = map[string]int64{}
	for _, sub := range c.Subscriptions() {
		out.Subscriptions[sub.ID] = sub.Delivered
	}
	return out
}
