package api

// Stats is a snapshot of a client's counters since NewSTOMP (they survive
// reconnections and Reset).
type Stats struct {
	FramesIn, FramesOut     int64 // frames received and written, heart-beats not counted
	BytesIn, BytesOut       int64 // bytes read from and written to the socket
	MessagesIn, MessagesOut int64 // MESSAGE frames received, SEND frames written
	Acks, Nacks             int64 // ACK and NACK frames sent
	ReceiptsPending         int64 // receipts awaited right now
	HeartbeatsIn            int64 // heart-beats (EOLs) received
	HeartbeatsOut           int64 // heart-beats sent
	HeartbeatsMissed        int64 // connections ended by server silence
	Dropped                 int64 // messages dropped by a FullDrop queue or while disconnecting
	Connects, Disconnects   int64 // connections made and ended
	Reconnects              int64 // connections restored by the Reconnect policy
	Panics                  int64 // panics recovered in handlers and actors
	EventsDropped           int64 // log and notification events dropped by a full event queue
	// Subscriptions counts the messages received per live subscription id.
	Subscriptions map[string]int64
}

// Stats returns the client's counters. Before the first Connect every
// counter is zero.
func (s *STOMP) Stats() Stats {
	out := Stats{Subscriptions: map[string]int64{}, EventsDropped: s.EventsDropped()}
	eng, err := s.engine()
	if err != nil || eng == nil {
		return out
	}
	st := eng.Stats()
	out.FramesIn, out.FramesOut = st.FramesIn.Load(), st.FramesOut.Load()
	out.BytesIn, out.BytesOut = st.BytesIn.Load(), st.BytesOut.Load()
	out.MessagesIn, out.MessagesOut = st.MessagesIn.Load(), st.MessagesOut.Load()
	out.Acks, out.Nacks = st.Acks.Load(), st.Nacks.Load()
	out.ReceiptsPending = st.ReceiptsPending.Load()
	out.HeartbeatsIn, out.HeartbeatsOut = st.HeartbeatsIn.Load(), st.HeartbeatsOut.Load()
	out.HeartbeatsMissed = st.HeartbeatsMissed.Load()
	out.Dropped = st.Dropped.Load()
	out.Connects, out.Disconnects = st.Connects.Load(), st.Disconnects.Load()
	out.Reconnects = st.Reconnects.Load()
	out.Panics = st.Panics.Load()
	for _, sub := range s.Subscriptions() {
		out.Subscriptions[sub.ID] = sub.Delivered
	}
	return out
}
