package actors

import "context"

// Cumulative acknowledgements. In ack mode client an ACK (and, on the
// brokers and the simulator, a NACK) settles the message it names and
// every earlier one of the subscription (STOMP 1.0 and 1.1 name it by
// message-id, 1.2 by its ack id). An ACK of a message an earlier one
// covered names a message the broker no longer has: most brokers answer
// with an ERROR and end the connection. So a client-mode route keeps what
// its ACKs covered, in O(1): the reader numbers the messages of a route
// in the order the broker sent them (Message.seq), and cumulative keeps
// the number of the latest message an ACK or NACK written covered.

// cumulative is a client-mode route's record of its ACKs. Its turn (one
// token) orders them: whoever holds it decides whether a message is
// covered and writes the frame, so that a later message's ACK cannot
// overtake the earlier one's check and reach the broker first.
type cumulative struct {
	turn    chan struct{}
	through uint32 // the seq of the latest message covered, when covered
	covered bool   // an ACK or NACK has been written
	// held: on the connection of generation heldGen a message was left
	// unacknowledged on purpose (STOMP 1.0 has no NACK: a handler or
	// DeadLetter hook failed), and any later ACK would cover it. No ACK
	// of the subscription is written on that connection any more, so
	// that the broker keeps it (and the later ones) and delivers them
	// again once the subscription or the connection ends.
	held    bool
	heldGen uint64
}

// holds reports whether ACKs are held back on the connection of
// generation gen. The turn is held.
func (k *cumulative) holds(gen uint64) bool { return k.held && k.heldGen == gen }

// hold holds back the ACKs on the connection of generation gen. The turn
// is held.
func (k *cumulative) hold(gen uint64) { k.held, k.heldGen = true, gen }

func newCumulative() *cumulative {
	k := &cumulative{turn: make(chan struct{}, 1)}
	k.turn <- struct{}{}
	return k
}

// acquire takes the turn, waiting until ctx, l's connection or the client
// ends.
func (k *cumulative) acquire(ctx context.Context, l *link, closed <-chan struct{}) error {
	select {
	case <-k.turn:
		return nil
	default:
	}
	select {
	case <-k.turn:
		return nil
	case <-ctx.Done():
		return ctxErr(ctx)
	case <-l.lost:
		return l.lostErr()
	case <-closed:
		return ErrClosed
	}
}

func (k *cumulative) release() { k.turn <- struct{}{} }

// covers reports whether an ACK or NACK written covered the message
// numbered seq. Numbers wrap: they are compared as serial numbers, which
// holds while fewer than 2^31 messages of one subscription arrive after
// the one compared (and messages of earlier connections are refused
// before, by their generation). The turn is held.
func (k *cumulative) covers(seq uint32) bool {
	return k.covered && int32(seq-k.through) <= 0
}

// cover records an ACK or NACK written for the message numbered seq. The
// turn is held.
func (k *cumulative) cover(seq uint32) {
	if !k.covers(seq) {
		k.through, k.covered = seq, true
	}
}
