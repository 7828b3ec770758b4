package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// Counters are running totals since the broker started.
type Counters struct {
	Accepted          int    // connections served, pipes included (refused ones not)
	Sent              uint64 // messages published (a transaction's on COMMIT)
	Delivered         uint64 // MESSAGE frames queued for clients (fault copies not counted)
	Acked             uint64 // deliveries acknowledged
	Nacked            uint64 // deliveries rejected with NACK
	Redelivered       uint64 // messages put back for redelivery (NACK, unsubscribe, disconnect)
	Errors            uint64 // ERROR frames the broker sent (injected ones not counted)
	HeartbeatTimeouts uint64 // connections dropped for client silence
	AuthFailures      uint64 // CONNECTs refused for a bad login or passcode
}

// Stats is a snapshot of the broker.
type Stats struct {
	Counters
	Connections  int               // connections open now
	Queued       int               // ready messages held in all destinations
	Destinations []DestinationInfo // sorted by name
}

// DestinationInfo describes one queue or topic.
type DestinationInfo struct {
	Name        string
	Topic       bool   // a topic rather than a queue
	Ready       int    // messages waiting for a consumer (topics: summed over subscribers)
	Unacked     int    // messages delivered and not yet acknowledged
	Subscribers int    // subscriptions now
	Enqueued    uint64 // messages published to it
	Delivered   uint64 // MESSAGE frames sent from it
}

// SubscriptionInfo describes one subscription.
type SubscriptionInfo struct {
	ID          string
	Destination string
	Ack         string // "auto", "client" or "client-individual"
	Prefetch    int    // 0: no limit
	Unacked     int
	Pending     int // topics: messages waiting for this subscriber
}

// ConnInfo describes one connection: an open one (Connections), or one
// that has closed (ClosedConnections).
type ConnInfo struct {
	Conn          int    // 1-based number in accept order
	Session       string // the session header of CONNECTED ("sim-<Conn>")
	Remote        string
	Connected     bool // CONNECTED was written to the socket and the connection is not ending
	Version       frames.Version
	Login         string
	Host          string
	HeartbeatSend time.Duration // negotiated broker-to-client interval
	HeartbeatRecv time.Duration // negotiated client-to-broker interval
	Subscriptions []SubscriptionInfo
	Transactions  []string // open transaction ids, in BEGIN order
	Unacked       int      // deliveries awaiting ACK over all subscriptions
	Outbound      int      // items waiting in the outbound queue
	Blocked       bool     // delivery paused until the outbound queue drains
	Frames        uint64   // frames received, heart-beats not counted
	// Received holds copies of the last frames received (WithFrameLog),
	// oldest first.
	Received []*frames.Frame
}

// Stats returns a snapshot of the broker's counters and destinations.
// After Close it returns the zero Stats.
func (b *Broker) Stats() Stats {
	var out Stats
	b.do(func(st *state) {
		out.Counters = st.counters
		out.Queued = st.queued
		for _, s := range st.sessions {
			if s.ended == 0 {
				out.Connections++
			}
		}
		for _, d := range st.dests {
			out.Destinations = append(out.Destinations, d.info())
		}
	})
	sort.Slice(out.Destinations, func(i, j int) bool { return out.Destinations[i].Name < out.Destinations[j].Name })
	return out
}

// Destination returns the state of one destination, false when it does not
// exist (a destination exists once something was sent or subscribed to it).
func (b *Broker) Destination(name string) (DestinationInfo, bool) {
	var out DestinationInfo
	var ok bool
	b.do(func(st *state) {
		if d := st.dests[name]; d != nil {
			out, ok = d.info(), true
		}
	})
	return out, ok
}

func (d *destination) info() DestinationInfo {
	di := DestinationInfo{
		Name:        d.name,
		Topic:       d.kind == kindTopic,
		Ready:       d.ready.len(),
		Subscribers: len(d.subs),
		Enqueued:    d.enqueued,
		Delivered:   d.delivered,
	}
	for _, sub := range d.subs {
		di.Unacked += sub.nUnacked
		di.Ready += sub.pending.len()
	}
	return di
}

// Connections returns the open connections, by connection number. A
// connection the broker is ending (after a DISCONNECT or a fatal ERROR)
// leaves this list at once but joins ClosedConnections only when the
// client closes its side or the linger passes (WithLinger).
func (b *Broker) Connections() []ConnInfo {
	var out []ConnInfo
	b.do(func(st *state) {
		for _, s := range st.sessions {
			if s.ended == 0 {
				out = append(out, s.info())
			}
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Conn < out[j].Conn })
	return out
}

// Connection returns the connection numbered n, false when it is not open
// (ClosedConnection then may still describe it).
func (b *Broker) Connection(n int) (ConnInfo, bool) {
	for _, ci := range b.Connections() {
		if ci.Conn == n {
			return ci, true
		}
	}
	return ConnInfo{}, false
}

func (s *session) info() ConnInfo {
	ci := ConnInfo{
		Conn:          s.c.index,
		Session:       s.id,
		Remote:        s.c.remote,
		Connected:     s.state == stateConnected && s.wrote,
		Version:       s.version,
		Login:         s.login,
		Host:          s.host,
		HeartbeatSend: s.hbSend,
		HeartbeatRecv: s.hbRecv,
		Transactions:  append([]string(nil), s.txList...),
		Outbound:      s.c.out.len(),
		Blocked:       s.blocked,
		Frames:        s.received,
		Received:      s.log.snapshot(),
	}
	for _, sub := range s.subList {
		ci.Unacked += sub.nUnacked
		ci.Subscriptions = append(ci.Subscriptions, SubscriptionInfo{
			ID:          sub.id,
			Destination: sub.dest.name,
			Ack:         sub.mode.String(),
			Prefetch:    sub.prefetch,
			Unacked:     sub.nUnacked,
			Pending:     sub.pending.len(),
		})
	}
	return ci
}

// SendError sends an ERROR frame with the given message header to
// connection n. With fatal the broker then ends the session and closes the
// connection, as the specification requires after an ERROR; without it the
// connection stays open, as some brokers do for errors they consider
// recoverable.
func (b *Broker) SendError(n int, message string, fatal bool) error {
	return b.onConn(n, func(st *state, s *session) {
		if fatal {
			st.fail(s, nil, message, "The broker's operator sent this error.")
			return
		}
		st.counters.Errors++
		st.send(s, outItem{kind: itemFrame, frame: errorFrame(message, "", "The broker's operator sent this error.")})
	})
}

// CloseConnection drops connection n at once, without an ERROR, as a
// network failure would: its subscriptions end and their unacknowledged
// messages go back to their queues.
func (b *Broker) CloseConnection(n int) error {
	return b.onConn(n, func(st *state, s *session) {
		st.end(s)
		s.c.close()
	})
}

// CloseConnections drops every open connection at once, as
// CloseConnection drops one: what a broker's clients see when it loses
// them all (a failover behind a virtual address, a network partition)
// while it keeps listening, so that they can all come back at once. It
// returns how many it dropped.
func (b *Broker) CloseConnections() (int, error) {
	n := 0
	if !b.do(func(st *state) {
		for _, s := range st.sessions {
			if s.ended == 0 && s.state != stateClosing {
				st.end(s)
				s.c.close()
				n++
			}
		}
	}) {
		return 0, ErrClosed
	}
	return n, nil
}

// onConn runs fn on the owner for open connection n.
func (b *Broker) onConn(n int, fn func(*state, *session)) error {
	found := false
	if !b.do(func(st *state) {
		for _, s := range st.sessions {
			if s.c.index == n && s.ended == 0 && s.state != stateClosing {
				found = true
				fn(st, s)
				return
			}
		}
	}) {
		return ErrClosed
	}
	if !found {
		return fmt.Errorf("sim: no open connection %d", n)
	}
	return nil
}
