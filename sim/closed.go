package sim

import "sort"

// WithClosedLog sets how many of the most recently closed connections the
// broker keeps, each with its frame log (WithFrameLog), for
// ClosedConnections: a test can then look at what a connection received
// after a fault killed it. The default is 4; 0 keeps none.
func WithClosedLog(n int) Option {
	return optionFunc(func(c *config) { c.closedLog = n })
}

// ClosedConnections returns the most recently closed connections that the
// broker keeps (WithClosedLog), by connection number, as they were when
// they closed: Connected false, no subscriptions, transactions, unacked
// deliveries or outbound items (closing ended them), and Frames and
// Received as they stood.
func (b *Broker) ClosedConnections() []ConnInfo {
	var out []ConnInfo
	b.do(func(st *state) {
		for _, s := range st.closed {
			out = append(out, s.info())
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Conn < out[j].Conn })
	return out
}

// ClosedConnection returns the closed connection numbered n, false when it
// is open, was never accepted, or is no longer kept (see WithClosedLog).
// It is also false while the broker lingers on a TCP connection it has
// ended (after a DISCONNECT or a fatal ERROR) for the client to close its
// side: a test that waits for a client to disconnect polls it under a
// deadline.
func (b *Broker) ClosedConnection(n int) (ConnInfo, bool) {
	for _, ci := range b.ClosedConnections() {
		if ci.Conn == n {
			return ci, true
		}
	}
	return ConnInfo{}, false
}

// keepClosed keeps a session that has ended for ClosedConnections,
// forgetting the oldest one kept when there are already cfg.closedLog.
func (st *state) keepClosed(s *session) {
	n := st.cfg.closedLog
	switch {
	case n == 0:
	case len(st.closed) < n:
		st.closed = append(st.closed, s)
	default:
		copy(st.closed, st.closed[1:])
		st.closed[n-1] = s
	}
}
