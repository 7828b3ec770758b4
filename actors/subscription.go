package actors

import (
	"context"
	"errors"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// subscription delivers one subscription's messages to its handler, in
// order, and acknowledges them as the handler asks. Its mailbox is its
// queue (bounded by the route's slots and bytes, which the reader takes
// before it sends, and which a message gives back once its handler
// returned): the handler runs inside Receive, so the subscription holds a
// goroutine of the engine's pool only while it has messages, and a slow
// handler fills only its own queue.
type subscription struct {
	c        *Conn
	spec     *SubscribeSpec
	rt       *route
	failures deliveries // failed deliveries by message (poison.go)
	// acks is where the ACKs and NACKs the handlers' returns ask for are
	// built, one at a time, made on first use: an ack points into itself,
	// so one made in a call would be a new allocation at every message.
	// writeAck encodes it at once, or queues a copy.
	acks *ack
	// goexit is set while a handler's runtime.Goexit unwinds the
	// subscription's goroutine (handle, deliverFrom).
	goexit bool
	// handingOver is set by the session when Unsubscribe ended the
	// subscription, before its route's end; the turn is halted when the
	// connection then ended for good (handover.go).
	handingOver atomic.Bool
	turn        atomic.Int32 // a handover's (handover.go)
	// ending: unsubscribed came; the actor stops once its queue is
	// empty. stopped: it did.
	ending, stopped bool
	// waits: a subscription with its id was handing over when it was
	// made; until predecessorEnded it holds back its messages (held),
	// in order (handover.go).
	waits bool
	held  []any
}

func (s *subscription) Receive(ctx actor.Context) { guard(ctx, s, s.receive) }

func (s *subscription) receive(ctx actor.Context) {
	m := ctx.Message()
	if s.waits {
		switch m.(type) {
		case *predecessorEnded:
			s.waits = false
			s.replay(ctx)
		case *actor.Stopping:
			s.dropHeld()
		default:
			if !isLifecycle(m) {
				s.held = append(s.held, m)
			}
		}
		return
	}
	s.dispatch(ctx, m)
}

// dropHeld drops the messages held back when the actor stops before the
// handover of its id ended (the connection ended for good), as an ended
// subscription skips them (skipsAfterEnd: an auto-ack message, which the
// broker counted consumed, is counted dropped).
func (s *subscription) dropHeld() {
	for _, m := range s.held {
		b, ok := m.(*messagesDelivered)
		if !ok {
			continue
		}
		for i := range b.msgs {
			msg := &b.msgs[i]
			s.skipsAfterEnd(msg)
			msg.lease.Release()
		}
		b.recycle()
	}
	s.held = nil
}

// isLifecycle reports whether m is one of the actor system's own
// messages, which are not held back.
func isLifecycle(m any) bool {
	switch m.(type) {
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
		return true
	}
	return false
}

// replay handles the messages held back while the handover of the
// subscription's id ran, in order. A handler that ends the goroutine
// (runtime.Goexit) does not end the replay: deliverFrom finishes its
// batch, and this the rest, as the goroutine unwinds.
func (s *subscription) replay(ctx actor.Context) {
	done := false
	defer func() {
		if done {
			return
		}
		if r := recover(); r != nil {
			panic(r) // the actor's own failure (guard): no replay
		}
		s.replay(ctx)
	}()
	for len(s.held) > 0 {
		m := s.held[0]
		s.held[0] = nil
		s.held = s.held[1:]
		s.dispatch(ctx, m)
	}
	s.held = nil
	done = true
}

func (s *subscription) dispatch(ctx actor.Context, msg any) {
	switch m := msg.(type) {
	case *messagesDelivered:
		if s.ending {
			// Deferred: it runs even when a handler ends the
			// goroutine (deliverFrom finishes the batch first).
			defer s.stopWhenHandedOver(ctx)
		}
		s.deliverFrom(m, 0)
	case *unsubscribed:
		s.ending = true
		s.stopWhenHandedOver(ctx)
	case *halted:
		s.ending = true
		s.stop(ctx)
	case *quiesce:
		// Every message queued before it is handled or skipped, and the
		// ACKs asked for are with the writer, ahead of DISCONNECT.
		ctx.Send(s.c.session, &subscriptionQuiesced{id: ctx.Self().Id})
	}
}

// errExited is the error of a handler that ended its goroutine.
func errExited(what string) error {
	return errors.New("stomp: " + what + " ended its goroutine (runtime.Goexit, which t.FailNow calls)")
}

// deliverFrom hands on the batch's messages from the i-th. A handler that
// ends its goroutine (runtime.Goexit) does not end the batch: the rest is
// handed on while the goroutine unwinds, and the mailbox goes on on
// another goroutine.
func (s *subscription) deliverFrom(m *messagesDelivered, i int) {
	defer func() {
		if s.goexit {
			s.goexit = false
			s.deliverFrom(m, i+1)
		}
	}()
	for ; i < len(m.msgs); i++ {
		msg := &m.msgs[i]
		select {
		case <-s.rt.done:
			if s.skipsAfterEnd(msg) {
				msg.lease.Release()
				continue
			}
		default:
		}
		msg.describe(m.version)
		s.deliver(msg)
	}
	m.recycle()
}

// failed reports a panic of the actor itself (not of a handler, which
// deliver recovers) to the session and stops the actor.
func (s *subscription) failed(ctx actor.Context, err error, stack string) {
	ctx.Send(s.c.session, &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

// deliver hands msg on, unless a halted handover counted it dropped
// already, and gives its place back. The turn it takes tells haltTurn
// whether a delivery runs: one that started before Unsubscribe runs on
// into the handover.
func (s *subscription) deliver(msg *Message) {
	if !s.turn.CompareAndSwap(turnIdle, turnRunning) {
		// Halted: counted dropped with its place, which stays counted
		// in the queue (haltTurn); the actor stops at the halted
		// message behind it.
		msg.lease.Release()
		return
	}
	// Deferred, so that a handler's runtime.Goexit ends the turn too.
	defer s.endTurn(msg.size)
	// A lent message's memory goes back once nothing here needs it: an
	// ACK is encoded at once or copied (writeAck).
	defer msg.lease.Release()
	s.handOut(msg)
}

// handOut hands msg to the dead-letter hook or the handler and settles it.
func (s *subscription) handOut(msg *Message) {
	// The connection now, not the one this message's turn in the mailbox
	// would say: a message may wait here while its connection dies.
	l := s.c.link.Load()
	if msg.NeedsAck() {
		// The broker redelivers what needs an ACK and was not handled:
		// a message of a connection that has ended (its ACK could not
		// go to the connection it came on), or one queued when
		// Disconnect began or Unsubscribe ended the subscription.
		if l == nil || l.gen != msg.gen || s.rt.draining.Load() {
			s.c.stats.Dropped.Add(1)
			return
		}
	}
	// An auto-ack message the broker counts consumed is handled even
	// when Disconnect began (the quiesce behind it in the mailbox waits
	// for it, bounded by the disconnect's timeout) or Unsubscribe ended
	// the subscription (handover.go).
	if s.deadLetter(msg, l) {
		return
	}
	action, panicked := s.handle(msg)
	s.settle(msg, action, panicked)
}

// settle counts the handler's outcome and sends the ACK or NACK it asks
// for.
func (s *subscription) settle(msg *Message, action AckAction, panicked bool) {
	if action == AckNotHandled {
		// Never given to the program: nothing to send (the broker
		// redelivers one that needs an ACK), nor a delivery to count
		// against MaxDeliveries.
		s.c.stats.Dropped.Add(1)
		return
	}
	s.afterHandler(msg, action)
	if !msg.NeedsAck() || action == AckNone {
		return
	}
	l := s.c.link.Load()
	if l == nil || l.gen != msg.gen {
		return // the connection died during the handler: the broker redelivers
	}
	if l.version < frames.V11 && s.rt.cum != nil && (panicked || action == AckNack) {
		// No NACK in 1.0: leave it unacknowledged (the panic is
		// reported), and hold back the later ACKs that would cover it.
		s.leaveUnacked(l, msg)
		return
	}
	if panicked && l.version < frames.V11 {
		return // no NACK in 1.0: leave it unacknowledged; the panic is reported
	}
	if err := s.ackOwn(l, msg, action == AckNack); err != nil {
		s.c.emit(&ErrorEvent{Err: err})
	}
}

// ackOwn writes the ACK (or NACK) the engine makes for msg on l, which
// nobody waits for: a handler's return, a dead-lettered message. In ack
// mode client it is skipped when an ACK or NACK made meanwhile (Ack from
// another goroutine) covered msg already (cumulative.go).
func (s *subscription) ackOwn(l *link, msg *Message, nack bool) error {
	a := s.ackScratch()
	if err := a.build(l.version, msg.Subscription, msg.MessageID, msg.AckID, nack, ""); err != nil {
		return err
	}
	if k := s.rt.cum; k != nil {
		if k.acquire(context.Background(), l, s.c.closed) != nil {
			return nil // the connection or the client ended: nothing to acknowledge to
		}
		defer k.release()
		if k.holds(l.gen) || coveredOn(l, s.rt, msg.seq) {
			return nil
		}
		k.cover(msg.seq)
	}
	s.c.countAck(a.f.Command, msg.AckID)
	s.c.writeAck(l, &a.f)
	return nil
}

// leaveUnacked leaves msg, which must stay with the broker, unacknowledged
// on STOMP 1.0, which has no NACK. In ack mode client (the only client
// mode of 1.0) any later ACK of the subscription would acknowledge it
// too, so from now on none is written on this connection (cumulative.go),
// which OnError reports once: the broker keeps msg and the later
// messages, and delivers them again once the subscription or the
// connection ends.
func (s *subscription) leaveUnacked(l *link, msg *Message) {
	s.c.holdAcks(l, s.rt, msg.seq, msg.MessageID)
}

// LeaveUnacked is what settles, on STOMP 1.0, a message that must stay
// with the broker, for whoever settles it outside the subscription (the
// facade, for a handler that ended its goroutine): see leaveUnacked. On
// other versions, and for a message of an ended connection, it does
// nothing.
func (c *Conn) LeaveUnacked(m MessageRef) {
	l := c.link.Load()
	if l == nil || uint32(l.gen) != m.gen || l.version >= frames.V11 || m.rt == nil {
		return
	}
	c.holdAcks(l, m.rt, m.seq, m.ackID)
}

// holdAcks holds back the ACKs of rt on l: its message seq must stay with
// the broker, and STOMP 1.0 cannot NACK it.
func (c *Conn) holdAcks(l *link, rt *route, seq uint32, messageID string) {
	k := rt.cum
	if k == nil || k.acquire(context.Background(), l, c.closed) != nil {
		return
	}
	defer k.release()
	if coveredOn(l, rt, seq) || k.holds(l.gen) {
		return // covered by an Ack made meanwhile, or held back already
	}
	k.hold(l.gen)
	c.emit(&ErrorEvent{Err: errAcksHeld(rt.id, messageID)})
}

// errAcksHeld explains why ACKs of subscription id are no longer written.
func errAcksHeld(id, messageID string) error {
	return NewError(CodeNackUnsupported, "stomp: subscription "+strconv.Quote(id)+": message "+peerQuote(messageID)+
		" was left unacknowledged (STOMP 1.0 has no NACK), and in ack mode client any later ACK would acknowledge it too:"+
		" no more ACKs of this subscription are written on this connection, so the broker keeps it and the later messages"+
		" and delivers them again once the subscription or the connection ends (Unsubscribe and Subscribe again, or reconnect)",
		ErrNackUnsupported)
}

// ackScratch returns the subscription's ack to build in.
func (s *subscription) ackScratch() *ack {
	if s.acks == nil {
		s.acks = new(ack)
	}
	return s.acks
}

// handle runs the user's handler; a panic in it is reported and the
// message is NACKed (or left unacknowledged on 1.0) so the broker can
// redeliver it. Its frame tells userCodeHolds that a caller runs a
// handler.
//
//go:noinline
func (s *subscription) handle(msg *Message) (action AckAction, panicked bool) {
	s.c.callbacks.Add(1)
	defer s.c.callbacks.Add(-1)
	returned := false
	defer func() {
		if r := recover(); r != nil {
			s.c.stats.more().Panics.Add(1)
			err := errors.New("stomp: message handler panicked: " + panicString(r))
			s.c.log(LogError, "info", err.Error()+"\n"+string(debug.Stack()))
			s.c.emit(&ErrorEvent{Err: err})
			action, panicked = AckNack, true
		} else if !returned {
			// runtime.Goexit (t.FailNow in a test's handler): the
			// goroutine ends once its deferred calls ran, so the
			// message is settled here, as after a panic, and the
			// subscription carries on (deliverFrom).
			s.c.stats.more().Panics.Add(1)
			err := errExited("message handler")
			s.c.log(LogError, "info", err.Error())
			s.c.emit(&ErrorEvent{Err: err})
			if s.spec.SettlesExits {
				s.afterHandler(msg, AckNack) // a failed delivery all the same
			} else {
				s.settle(msg, AckNack, true)
			}
			s.goexit = true
		}
	}()
	if s.spec.Handler == nil {
		returned = true
		return AckAck, false
	}
	action = s.spec.Handler(msg.lent())
	returned = true
	return action, false
}

func ackFrame(v frames.Version, m *MessageRef, nack bool, tx string) (*frames.Frame, error) {
	a := new(ack)
	// Before 1.2 the ack id is the message-id (describe), and the route's
	// id the subscription.
	if err := a.build(v, m.rt.id, m.ackID, m.ackID, nack, tx); err != nil {
		return nil, err
	}
	return &a.f, nil
}

// ack is an ACK or NACK frame with room for its headers, so that one
// made where it is written costs no allocation.
type ack struct {
	f frames.Frame
	h [3]frames.Header
}

// build makes the ACK (or NACK) in version v of the message
// subscription, messageID and ackID name.
func (a *ack) build(v frames.Version, subscription, messageID, ackID string, nack bool, tx string) error {
	a.f.Command = frames.CmdAck
	if nack {
		if v < frames.V11 {
			return errors.New("stomp: NACK needs STOMP 1.1 or later")
		}
		a.f.Command = frames.CmdNack
	}
	hs := a.h[:0]
	switch {
	case v >= frames.V12:
		hs = append(hs, frames.Header{Key: frames.HdrID, Value: ackID})
	case v == frames.V11:
		hs = append(hs, frames.Header{Key: frames.HdrMessageID, Value: messageID}, frames.Header{Key: frames.HdrSubscription, Value: subscription})
	default:
		hs = append(hs, frames.Header{Key: frames.HdrMessageID, Value: messageID})
	}
	if tx != "" {
		hs = append(hs, frames.Header{Key: frames.HdrTransaction, Value: tx})
	}
	a.f.Headers = hs
	return nil
}

// errEarlierConnection explains why a message of an ended connection
// cannot be acknowledged.
var errEarlierConnection = errors.New("the message came on an earlier connection; the broker will redeliver it")
