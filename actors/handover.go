package actors

import (
	"runtime"
	"slices"

	"github.com/asynkron/protoactor-go/actor"
)

// The handover of a subscription that Unsubscribe ended. Its auto-ack
// messages the client already received were counted consumed by the
// broker when it sent them: dropped here, they would be lost. So the
// subscription's actor does not stop at once; it hands them on to the
// handler, in order, on its goroutine, after Unsubscribe returned (as
// Disconnect does before DISCONNECT), then stops. Messages that need an
// ACK and whose handler has not started are not handled (draining): the
// broker redelivers them, the subscription being gone. A message that is
// still dropped on the way (one the reader took as the subscription ended,
// or the rest once the connection ended for good) is counted in
// Stats.Dropped.
//
// The actor knows it has every message once the route's queue is empty:
// the reader counts a message in it (take) before it hands it on, and
// checks the route's end after that (draining first, set before the end),
// dropping the message itself if the route had ended by then
// (reader.deliver). So a message is either handed on with its place
// counted, which keeps the actor, or dropped by the reader, which then
// tells the actor to look again.

// A Subscribe with the id of a subscription whose handover runs (a
// resubscribe, to change the selector, say) makes its subscription at
// once (SUBSCRIBE is written, its messages are queued, bounded as ever),
// but that subscription's actor holds back every message of its mailbox
// until the handover ended (predecessorEnded, sent by the session as it
// hears subscriptionHandedOver): so the handler calls of one id never
// overlap, and the old messages are handled before the new ones. No
// caller waits for it; the messages held back count in the queue's
// bounds, as those of a slow handler do.

// handovers are the subscriptions whose handover is under way.
type handovers struct{ list []*subEntry }

// handingOverList returns the handovers under way (nil: none).
func (s *session) handingOverList() []*subEntry {
	if s.handingOver == nil {
		return nil
	}
	return s.handingOver.list
}

// handOver ends subscription e for Unsubscribe, whose route has left the
// snapshot: the actor hands on what it holds, then stops and says so
// (subscriptionHandedOver). A Pull subscription stops at once: Receive
// takes its messages, and takes none once it ended; what it still holds
// is dropped and counted.
func (s *session) handOver(ctx actor.Context, e *subEntry) {
	if e.route.pull != nil {
		e.route.end()
		// What nobody took is dropped, counted (the broker counted
		// the auto-ack ones consumed, and redelivers the others); a
		// Receive under way that pops one first still returns it.
		s.c.dropLeft(e.route)
		s.wakeReadingCaller()
		ctx.Stop(e.pid)
		s.quiet(ctx, e.pid.Id) // it answers no quiesce now
		return
	}
	// Before end: the actor sees both once it sees the end, and the
	// reader looks for the end only once it sees draining.
	e.sub.handingOver.Store(true)
	e.route.draining.Store(true)
	e.route.end()
	s.wakeReadingCaller()
	if s.handingOver == nil {
		s.handingOver = new(handovers)
	}
	s.handingOver.list = append(s.handingOver.list, e)
	// After every batch the reader handed on before the end (the mailbox
	// is FIFO); a batch the reader hands on later holds places in the
	// queue, which keep the actor until it is handled.
	ctx.Send(e.pid, &unsubscribed{})
}

// handingOverID returns the latest subscription with id whose handover
// is under way, or nil.
func (s *session) handingOverID(id string) *subEntry {
	list := s.handingOverList()
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].spec.ID == id {
			return list[i]
		}
	}
	return nil
}

// handedOver forgets a subscription whose handover ended, and lets the
// subscription made with its id since then start; a disconnect under way
// no longer waits for it.
func (s *session) handedOver(ctx actor.Context, pid *actor.PID) {
	if s.handingOver != nil {
		s.handingOver.list = slices.DeleteFunc(s.handingOver.list, func(e *subEntry) bool {
			if !e.pid.Equal(pid) {
				return false
			}
			if e.successor != nil {
				ctx.Send(e.successor, &predecessorEnded{})
			}
			return true
		})
		if len(s.handingOver.list) == 0 {
			s.handingOver = nil
		}
	}
	s.quiet(ctx, pid.Id)
}

// haltHandovers ends the handovers under way: the connection ended for
// good. What each has left is counted dropped here and now, before Close
// returns (haltTurn), though a running handler (Close does not wait for
// it) still returns; the actor then skips the rest and stops. A
// successor that is itself handing over (its live ones are stopped) is
// let go: it skips what it holds, as it was halted too.
func (s *session) haltHandovers(ctx actor.Context) {
	for _, e := range s.handingOverList() {
		s.c.stats.Dropped.Add(e.sub.haltTurn())
		ctx.Send(e.pid, &halted{})
	}
	for _, e := range s.handingOverList() {
		if e.successor != nil {
			ctx.Send(e.successor, &predecessorEnded{})
		}
	}
	s.handingOver = nil
}

// skipsAfterEnd reports whether the subscription, which has ended,
// skips its next message, msg: it ended with its connection (the broker
// redelivers what needed an ACK, and counted an auto-ack message
// consumed: one queued behind a handler that Close or a Disconnect that
// timed out cut short, one a successor held back, or a leftover of a
// Disconnect it took over). A subscription that Unsubscribe ended hands
// its messages on (deliver leaves out those that need an ACK) until its
// handover is halted, which deliver learns from the turn.
//
// A skipped message is counted dropped, whatever its ack mode, and its
// place given back here, unless the end counted it dropped with the
// queue (haltTurn, which endSubscriptions and haltHandovers call, keeps
// its place, or halts the queue while the place is still in it, which
// release reports): each message skipped is counted once.
func (s *subscription) skipsAfterEnd(msg *Message) bool {
	if s.handingOver.Load() {
		return false
	}
	// The halt may come between the turn's Load and the release (the
	// skip does not take the turn): release then reports that the halt
	// counted this place, and the skip does not count it again.
	if s.turn.Load() != turnHalted && !s.rt.release(msg.size) {
		s.c.stats.Dropped.Add(1)
	}
	return true
}

// The turn of a subscription's actor (deliver), which decides, in one
// step with the halt of its handover (haltTurn), who counts each message
// the handover does not hand on. The session counts every place queued
// at the moment the turn becomes halted, but the one of a delivery that
// runs; the actor gives back no place after that (it skips the rest), so
// the session's count stays exact. A message whose delivery starts
// before the halt is handed on (and counts itself dropped if it is left
// out, as one that needs an ACK is).
const (
	turnIdle      int32 = iota // between messages
	turnRunning                // a message's delivery runs
	turnReleasing              // it gives back the message's place
	turnHalted                 // the session counted the rest: skip them
)

// endTurn gives back the place of the message whose delivery ended, and
// the turn. After a halt (haltTurn) it gives back nothing: the session
// counted the queue with this place in it, and this message left out.
func (s *subscription) endTurn(size int64) {
	if s.turn.CompareAndSwap(turnRunning, turnReleasing) {
		s.rt.release(size)
		s.turn.Store(turnIdle)
	}
}

// haltTurn ends the turn of a handover's actor for good, and halts its
// queue, and returns how many of its queued messages will not be handed
// on: every place counted in the queue as the turn became halted, but
// the one of a delivery that runs. A place given back in the meantime
// (by the reader, which drops a message it took as the subscription
// ended) is counted by who gave it back (release, haltQueue).
func (s *subscription) haltTurn() int64 {
	for {
		switch t := s.turn.Load(); t {
		case turnIdle, turnRunning:
			if s.turn.CompareAndSwap(t, turnHalted) {
				q := s.rt.haltQueue()
				if t == turnRunning {
					q-- // handed on; its place is kept (endTurn)
				}
				return q
			}
		case turnReleasing:
			// The actor is between its release and its Store of
			// turnIdle, two steps that take no lock: the queue's count
			// must not be taken half-way through.
			runtime.Gosched()
		default:
			return 0
		}
	}
}

// stopWhenHandedOver stops a subscription Unsubscribe ended once its
// queue is empty: every message the reader counted in it was handled or
// skipped.
func (s *subscription) stopWhenHandedOver(ctx actor.Context) {
	if s.rt.queued.Load() == 0 {
		s.stop(ctx)
	}
}

// stop ends the actor of a subscription Unsubscribe ended, once, and
// tells the session.
func (s *subscription) stop(ctx actor.Context) {
	if s.stopped {
		return
	}
	s.stopped = true
	ctx.Send(s.c.session, &subscriptionHandedOver{pid: ctx.Self()})
	ctx.Stop(ctx.Self())
}
