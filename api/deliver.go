package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// subscriber turns the engine's messages into MessageInEvents for one
// subscription and settles them when the handler returns.
type subscriber struct {
	s         *STOMP
	id        string
	manualAck bool
	handler   func(*MessageInEvent)
	tracer    *tracer // nil: tracing is off
	// lent is the one event of a Lent subscription, filled anew for each
	// message (handlers of one subscription run one at a time); nil
	// otherwise.
	lent *MessageInEvent
}

// event turns a message into its MessageInEvent: a new one, or on a Lent
// subscription its one event filled anew.
func (sub *subscriber) event(m *actors.Message) *MessageInEvent {
	return sub.s.messageEvent(m, sub.lent)
}

// messageEvent fills ev (nil: a new one) with m.
func (s *STOMP) messageEvent(m *actors.Message, ev *MessageInEvent) *MessageInEvent {
	s.mu.Lock()
	collapse := s.cfg.collapseHeaders
	s.mu.Unlock()
	lent := ev != nil // only lent events are filled anew
	if ev == nil {
		ev = new(MessageInEvent)
	}
	*ev = MessageInEvent{
		lent:           lent,
		SubscriptionID: m.Subscription,
		MessageID:      m.MessageID,
		Destination:    m.Destination,
		ContentType:    m.ContentType,
		Data:           m.Body,
		Headers:        fromFrameHeaders(m.Headers, collapse),
		Redelivered:    m.Redelivered,
		Ack:            true,
		// What acknowledging it takes: the engine's message lives among
		// the others handed over with it, which an event kept by the
		// program would keep alive.
		msg: m.Ref(),
	}
	return ev
}

func (sub *subscriber) handle(m actors.Message) actors.AckAction {
	ev := sub.event(&m)
	if sub.tracer != nil {
		return sub.tracer.process(sub, &m, ev)
	}
	action, _ := sub.process(ev)
	return action
}

// process hands ev to the handler and settles it when the handler
// returns. failure is the error of a handler that panicked.
func (sub *subscriber) process(ev *MessageInEvent) (action actors.AckAction, failure *Error) {
	s := sub.s
	s.mu.Lock()
	manual := s.cfg.manualEvents
	if s.parsed == nil {
		s.parsed = new(parsedHeaders)
	}
	s.parsed.set(ev.Headers)
	s.mu.Unlock()
	m := ev.msg
	h := sub.handler
	if h == nil {
		s.hmu.RLock()
		if s.handlers != nil {
			h = s.handlers.messageIn
		}
		s.hmu.RUnlock()
	}
	returned := false
	defer func() {
		if !returned {
			// The handler ended this goroutine (runtime.Goexit): it
			// is settled here, on the way out, as a failure.
			sub.settleExit(ev)
		}
	}()
	failure, outcome := s.deliver(h, ev, manual)
	returned = true
	switch outcome {
	case notGiven:
		// The client closed before the handler was given it: counted
		// dropped (one that needs an ACK the broker redelivers).
		return actors.AckNotHandled, nil
	case stillRunning:
		return actors.AckNone, nil // closing: the broker redelivers
	}
	if failure != nil {
		ev.Ack = false
	}
	if !m.NeedsAck() || sub.manualAck || !ev.settled.CompareAndSwap(false, true) {
		return actors.AckNone, failure
	}
	return s.settle(ev, !ev.Ack), failure
}

// settleExit settles ev, whose handler ended its goroutine, as process
// settles a handler that panicked: a NACK (written here, the engine
// writing none for it: SettlesExits), unless the handler acknowledged it
// itself or ManualAck leaves it to the program.
func (sub *subscriber) settleExit(ev *MessageInEvent) {
	ev.Ack = false
	if !ev.msg.NeedsAck() || sub.manualAck || !ev.settled.CompareAndSwap(false, true) {
		return
	}
	s := sub.s
	if s.settle(ev, true) != actors.AckNack {
		return // done there (a transaction, a receipt)
	}
	eng, err := s.engine()
	if err != nil || eng == nil {
		return
	}
	if s.version() == frames.V10 {
		eng.LeaveUnacked(ev.msg) // no NACK: left, later ACKs held back
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(s.snapshot().timeout, listWait))
	defer cancel()
	if err := eng.AckRef(ctx, ev.msg, true, "", 0); err != nil && !errors.Is(err, ErrAlreadyAcked) {
		s.post(&actors.ErrorEvent{Err: err})
	}
}

// deliveryOutcome says how far deliver got with a message.
type deliveryOutcome uint8

const (
	handled      deliveryOutcome = iota // the handler returned (or panicked)
	notGiven                            // the client closed before the handler was given the message
	stillRunning                        // the client closed while DoEvents ran the handler
)

// deliver runs the handler here, or in manual mode inside DoEvents while
// this goroutine waits. failure is the error of a handler that panicked.
// In manual mode a client that closes ends the wait: a job still queued
// is given up (DoEvents skips it), one that DoEvents runs is left to it,
// settled by nobody (Close does not wait for handlers).
func (s *STOMP) deliver(h func(*MessageInEvent), ev *MessageInEvent, manual bool) (failure *Error, outcome deliveryOutcome) {
	if !manual {
		return s.runHandler(h, ev, true), handled
	}
	job := &msgJob{ev: ev, h: h, done: make(chan struct{})}
	// Each subscription waits for its one job, so these jobs are bounded
	// by the subscriptions: they are always taken.
	if q := s.eventQueue(); q == nil || !q.post(queuedEvent{msg: job}, 0) {
		return nil, notGiven // closed
	}
	select {
	case <-job.done:
		return job.failure, handled
	case <-s.bg.Done():
		if job.state.CompareAndSwap(jobWaiting, jobAbandoned) {
			return nil, notGiven
		}
		select {
		case <-job.done: // it returned as the client closed
			return job.failure, handled
		default:
			return nil, stillRunning
		}
	}
}

// runHandler calls a MessageIn handler; a panic is logged, counted and
// reported with OnError (and returned), and the message is NACKed.
// onEngine says the handler runs on the engine's goroutine, which then
// counts a runtime.Goexit itself.
func (s *STOMP) runHandler(h func(*MessageInEvent), ev *MessageInEvent, onEngine bool) *Error {
	if h == nil {
		return nil
	}
	r := s.guardCounting("MessageIn", func() { h(ev) }, !onEngine)
	if r == nil {
		return nil
	}
	err := newError(CodeOther, s.scrub(fmt.Sprintf("MessageIn handler panicked on subscription %s: %v", ev.SubscriptionID, r)))
	s.post(&actors.ErrorEvent{Err: err})
	return err
}

// settle sends what the handler's return asks for. The plain case goes
// back to the engine as the handler's result; a transaction id or a
// receipt needs the Ack call, made here on the subscription's goroutine so
// the order of acknowledgements is kept.
func (s *STOMP) settle(ev *MessageInEvent, nack bool) actors.AckAction {
	if nack && s.version() == frames.V10 {
		// No NACK in 1.0: the engine leaves it unacknowledged and holds
		// back the later ACKs of its subscription, which would cover
		// it in ack mode client (OnError says so).
		return actors.AckNack
	}
	s.mu.Lock()
	plain := s.cfg.ackTransactionID == "" && !s.cfg.requestAckReceipts
	s.mu.Unlock()
	if plain {
		if nack {
			return actors.AckNack
		}
		return actors.AckAck
	}
	cfg := s.snapshot()
	eng, err := s.engine()
	if err != nil || eng == nil {
		return actors.AckNone
	}
	ref := ev.msg
	note := noteTxAck(eng, ev, cfg)
	err = s.call(context.Background(), "Ack", max(cfg.timeout, listWait), CodeOther, func(ctx context.Context) error {
		err := s.ackNow(ctx, eng, ref, nack, cfg)
		if notMade(err) {
			note.Cancel() // nothing to undo; the event stays settled, as before
		}
		return err
	})
	if err != nil && !errors.Is(err, ErrAlreadyAcked) { // AckClient: an Ack covered it
		s.post(&actors.ErrorEvent{Err: err})
	}
	return actors.AckNone
}
