package actors

import (
	"errors"
	"strconv"
	"strings"
)

func errPanic(what string, r any) error {
	return errors.New("stomp: " + what + " panicked: " + panicString(r))
}

// Poison messages on the consuming side: a message whose handler panics
// or asks for a NACK comes back from the broker, and would come back
// forever. With SubscribeSpec.MaxDeliveries the subscription counts the
// failed deliveries of each message (by its key: the KeyHeader, else the
// message-id; or the broker's own count, RabbitMQ's x-delivery-count,
// where it sends one) and once a message reached the limit hands it to
// DeadLetter and acknowledges it, so one bad message cannot hold a
// subscription. A DeadLetter that fails (panics) has not taken it: it is
// NACKed and comes back, to DeadLetter again.

// HdrDeliveryCount is the header in which RabbitMQ (quorum queues) counts
// a message's earlier deliveries.
const HdrDeliveryCount = "x-delivery-count"

// maxTracked bounds the messages whose failures a subscription counts;
// the oldest is forgotten first.
const maxTracked = 4096

// deliveries counts failed deliveries by message key, bounded.
type deliveries struct {
	failed map[string]int
	order  []string // keys, oldest first
}

func (d *deliveries) key(spec *SubscribeSpec, m *Message) string {
	if spec.KeyHeader != "" {
		if k, ok := m.Headers.Get(spec.KeyHeader); ok {
			return k
		}
	}
	return m.MessageID
}

// attempts is how many times m was delivered before, by the broker's
// count or ours, whichever is higher.
func (d *deliveries) attempts(spec *SubscribeSpec, m *Message) int {
	n := d.failed[d.key(spec, m)]
	if v, ok := m.Headers.Get(HdrDeliveryCount); ok {
		if b, err := strconv.Atoi(v); err == nil && b > n {
			n = b
		}
	}
	return n
}

// failedOnce records a delivery of m that failed (a NACK, a panic).
func (d *deliveries) failedOnce(spec *SubscribeSpec, m *Message) {
	k := d.key(spec, m)
	if d.failed == nil {
		d.failed = map[string]int{}
	}
	if _, ok := d.failed[k]; !ok {
		// Kept beyond the message: a copy, so that it pins no message's
		// memory (nor holds a lent one's).
		k = strings.Clone(k)
		if len(d.order) >= maxTracked {
			delete(d.failed, d.order[0])
			d.order = d.order[1:]
		}
		d.order = append(d.order, k)
	}
	d.failed[k]++
}

// settled forgets m: it was acknowledged.
func (d *deliveries) settled(spec *SubscribeSpec, m *Message) {
	if len(d.failed) == 0 {
		return
	}
	k := d.key(spec, m)
	if _, ok := d.failed[k]; ok {
		delete(d.failed, k)
		for i, x := range d.order {
			if x == k {
				d.order = append(d.order[:i], d.order[i+1:]...)
				break
			}
		}
	}
}

// deadLetter hands a message that reached MaxDeliveries to DeadLetter
// and acknowledges it once the hook returned. A hook that panics or ends
// its goroutine has not taken the message: that is reported (OnError,
// Stats.Panics) and the message is NACKed, as after a handler that
// panics (left unacknowledged on STOMP 1.0, which has no NACK, the later
// ACKs held back: leaveUnacked), so the
// broker keeps it and delivers it again, to the hook again. It reports
// whether it took the message from the handler.
func (s *subscription) deadLetter(m *Message, l *link) bool {
	spec := s.spec
	if spec.MaxDeliveries <= 0 || !m.NeedsAck() {
		return false
	}
	if s.failures.attempts(spec, m) < spec.MaxDeliveries {
		return false
	}
	if spec.DeadLetter != nil && !s.callDeadLetter(m) {
		s.refuseDeadLetter(m)
		return true
	}
	s.c.stats.more().DeadLettered.Add(1)
	s.c.log(LogInfo, "info", "message "+peerQuote(m.MessageID)+" of subscription "+strconv.Quote(spec.ID)+" reached "+strconv.Itoa(spec.MaxDeliveries)+" deliveries: dead-lettered and acknowledged")
	s.ackDeadLetter(m, l)
	return true
}

// callDeadLetter runs the subscription's DeadLetter handler on m and
// reports whether it returned. A panic is recovered and reported; a
// runtime.Goexit is reported, and m settled (refused) on the way out. Its
// frame tells userCodeHolds that a caller runs a hook.
//
//go:noinline
func (s *subscription) callDeadLetter(m *Message) (took bool) {
	// Counted as a handler: Close called from it does not wait for
	// itself.
	s.c.callbacks.Add(1)
	defer s.c.callbacks.Add(-1)
	returned := false
	defer func() {
		if r := recover(); r != nil {
			s.c.stats.more().Panics.Add(1)
			s.c.emit(&ErrorEvent{Err: errPanic("dead-letter handler", r)})
		} else if !returned {
			// runtime.Goexit: settled on the way out (see handle).
			s.c.stats.more().Panics.Add(1)
			s.c.emit(&ErrorEvent{Err: errExited("dead-letter handler")})
			s.refuseDeadLetter(m)
			s.goexit = true
		}
	}()
	s.spec.DeadLetter(m.lent())
	returned = true
	return true
}

// refuseDeadLetter gives back m, which the DeadLetter hook failed to take:
// a NACK, or nothing on STOMP 1.0 (settle).
func (s *subscription) refuseDeadLetter(m *Message) {
	s.c.log(LogInfo, "info", "message "+peerQuote(m.MessageID)+" of subscription "+strconv.Quote(s.spec.ID)+" reached "+strconv.Itoa(s.spec.MaxDeliveries)+" deliveries, and the dead-letter handler failed: refused, for the broker to deliver again")
	s.settle(m, AckNack, true)
}

// ackDeadLetter forgets the dead-lettered m and acknowledges it.
func (s *subscription) ackDeadLetter(m *Message, l *link) {
	s.failures.settled(s.spec, m)
	_ = s.ackOwn(l, m, false) // an ACK builds on every version
}

// afterHandler counts a failed delivery, or forgets a settled one.
func (s *subscription) afterHandler(m *Message, action AckAction) {
	if s.spec.MaxDeliveries <= 0 || !m.NeedsAck() {
		return
	}
	if action == AckNack {
		s.failures.failedOnce(s.spec, m)
	} else if action == AckAck {
		s.failures.settled(s.spec, m)
	}
}
