package api

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Subscribe subscribes to destination and returns the subscription's id.
// Its messages go to the OnMessageIn handler. With requireAcks the broker
// waits for an acknowledgement of each message (ack mode
// client-individual, or client on STOMP 1.0), which the handler's return
// sends (see MessageInEvent.Ack); without, the ack mode is auto. With
// RequestSubscriptionReceipts it waits for the broker's RECEIPT. It is
// bounded by Timeout.
func (s *STOMP) Subscribe(destination string, requireAcks bool) (string, error) {
	return s.SubscribeContext(context.Background(), destination, requireAcks)
}

// SubscribeContext is Subscribe bounded by ctx as well.
func (s *STOMP) SubscribeContext(ctx context.Context, destination string, requireAcks bool) (string, error) {
	mode := AckAuto
	if requireAcks {
		mode = AckClientIndividual
		if eng, err := s.connected(); err == nil {
			if info, ok := eng.Info(); ok && info.Version == frames.V10 {
				mode = AckClient
			}
		}
	}
	return s.SubscribeWith(ctx, destination, SubscribeOptions{AckMode: mode})
}

// SubscribeWith subscribes with every choice of SubscribeOptions and
// returns the subscription's id. It is bounded by ctx and Timeout; with
// Timeout 0 and no deadline on ctx it returns the id at once and reports
// a failure with OnError.
func (s *STOMP) SubscribeWith(ctx context.Context, destination string, opts SubscribeOptions) (string, error) {
	if destination == "" {
		return "", invalid("Subscribe needs a destination")
	}
	eng, err := s.connected()
	if err != nil {
		return "", err
	}
	info, _ := eng.Info()
	switch opts.AckMode {
	case "":
		opts.AckMode = AckAuto
	case AckAuto, AckClient:
	case AckClientIndividual:
		if info.Version == frames.V10 {
			return "", invalid("ack mode client-individual needs STOMP 1.1 or later (this connection speaks 1.0)")
		}
	default:
		return "", invalid("unknown ack mode %q", string(opts.AckMode))
	}
	if opts.QueueSize < 0 {
		return "", invalid("QueueSize must not be negative")
	}
	if opts.MaxDeliveries < 0 {
		return "", invalid("MaxDeliveries must not be negative")
	}
	if opts.QueueBytes < 0 {
		return "", invalid("QueueBytes must not be negative")
	}
	if opts.Lent && opts.ManualAck && !opts.Pull {
		return "", invalid("Lent and ManualAck do not go together: a lent message is gone once its handler returns")
	}
	if opts.Pull && (opts.Handler != nil || opts.MaxDeliveries > 0 || opts.DeadLetter != nil) {
		return "", invalid("a Pull subscription takes no Handler, MaxDeliveries or DeadLetter: Receive takes its messages")
	}
	if opts.Lent && !opts.Pull && s.tracer.Load() != nil {
		return "", invalid("Lent does not go with tracing: spans keep a message's ids after its handler")
	}
	id := opts.ID
	if id == "" {
		id = "sub-" + strconv.FormatUint(s.subSeq.Add(1), 10)
	}
	if err := checkSubscribe(info.Version, destination, id, opts.Headers); err != nil {
		return "", err
	}
	cfg := s.snapshot()
	prefetch, err := prefetchFor(opts, cfg.prefetch)
	if err != nil {
		return "", err
	}
	sub := &subscriber{s: s, id: id, manualAck: opts.ManualAck, handler: opts.Handler, tracer: s.tracer.Load()}
	if opts.Lent && !opts.Pull {
		sub.lent = new(MessageInEvent)
	}
	spec := actors.SubscribeSpec{
		Destination: destination,
		ID:          id,
		Mode:        actors.AckMode(opts.AckMode),
		Headers:     toFrameHeaders(opts.Headers),
		Handler:     sub.handle,
		Prefetch:    prefetch,
		QueueSize:   opts.QueueSize,
		QueueBytes:  opts.QueueBytes,
		OnFull:      opts.OnFull.engine(),

		MaxDeliveries: opts.MaxDeliveries,
		KeyHeader:     opts.KeyHeader,
		Lent:          opts.Lent,
		Pull:          opts.Pull,
		// A handler that ends its goroutine is settled by process, as
		// a panicking one is (ManualAck, an Ack made in the handler,
		// AckTransactionId and receipts all count).
		SettlesExits: true,
	}
	if opts.Pull {
		spec.Handler = nil
	}
	if dl := opts.DeadLetter; dl != nil {
		spec.DeadLetter = func(m actors.Message) {
			ev := sub.event(&m)
			ev.settled.Store(true) // the client acknowledges it
			s.runDeadLetter(dl, ev)
		}
	}
	// The closure takes the two settings it needs, not the whole config
	// (which would then be copied to the heap).
	timeout, receipted := cfg.timeout, cfg.requestSubscriptionReceipts
	err = s.callCausing(ctx, "Subscribe", timeout, nil, CodeOther, subscribeCauses, func(ctx context.Context) error {
		if receipted {
			spec.Receipt = receiptWait(ctx, timeout)
		}
		_, err := eng.Subscribe(ctx, spec)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Unsubscribe ends the subscription id. With RequestSubscriptionReceipts it
// waits for the broker's RECEIPT. It is bounded by Timeout. While the
// client reconnects (Reconnect) it ends the subscription at once, with
// nothing to send: the next connection does not restore it. Of a Pull
// subscription a Disconnect ended, it drops the messages still left to
// Receive (see Disconnect; counted in Stats.Dropped), connected or not.
//
// Messages the client already received for the subscription and has not
// yet handed to the handler: on an auto subscription the broker counted
// them consumed when it sent them, so they are handed to the handler all
// the same, in order, on the subscription's goroutine as before. Unsubscribe
// does not wait for them (nor for a handler that runs): the handler may
// still be called after Unsubscribe returned, until those messages are
// handled; so a handler may call Unsubscribe for its own subscription.
// A Subscribe with the same id meanwhile (to change the selector, say)
// does not wait for them either: its subscription is made at once and
// its messages are queued (within its queue's bounds), but its handler
// gets none until the old subscription's handover ended, so the handler
// calls of one id never overlap and the old messages come first.
// A Disconnect waits for them as for the live subscriptions' (bounded by
// DisconnectTimeout); when the connection ends for good first (Close,
// Interrupt, a loss without Reconnect) the ones left are dropped and
// counted in Stats.Dropped by the time Close returns (a handler that
// runs then still returns, as Close does not wait for it). Messages that
// need an acknowledgement (the client ack modes) whose delivery to the
// handler had not begun when Unsubscribe ended the subscription are not
// handled: the broker delivers them again once the subscription ended
// (to another subscription), and Stats.Dropped counts them here. (The one
// message whose delivery was under way then may reach the handler just
// after Unsubscribe returned; its ACK or NACK is sent as usual.) A message that
// arrives after Unsubscribe, which the broker sent before it read the
// UNSUBSCRIBE, is dropped and counted too. On a Pull subscription,
// Receive takes no message once it ended: the ones it still holds, of
// any ack mode, are dropped and counted in Stats.Dropped.
func (s *STOMP) Unsubscribe(id string) error {
	return s.UnsubscribeContext(context.Background(), id)
}

// UnsubscribeContext is Unsubscribe bounded by ctx as well.
func (s *STOMP) UnsubscribeContext(ctx context.Context, id string) error {
	if id == "" {
		return invalid("Unsubscribe needs a subscription id")
	}
	eng, err := s.engine()
	if err != nil {
		return err
	}
	if eng == nil {
		return ErrNotConnected
	}
	if eng.State() == actors.Disconnected {
		// Nothing to end but what a Pull subscription left to Receive.
		if eng.Unsubscribe(ctx, id, 0) == nil {
			return nil
		}
		return ErrNotConnected
	}
	cfg := s.snapshot()
	return s.callCausing(ctx, "Unsubscribe", cfg.timeout, nil, CodeOther, unsubscribeCauses, func(ctx context.Context) error {
		var receipt = receiptWait(ctx, cfg.timeout)
		if !cfg.requestSubscriptionReceipts {
			receipt = 0
		}
		return eng.Unsubscribe(ctx, id, receipt)
	})
}

// Subscriptions lists the live subscriptions, oldest first (by id for ids
// the program chose). It is empty when not connected: subscriptions end
// with their connection.
func (s *STOMP) Subscriptions() []Subscription {
	eng, err := s.engine()
	if err != nil || eng == nil {
		return nil
	}
	list := eng.Subscriptions()
	out := make([]Subscription, len(list))
	for i, x := range list {
		out[i] = Subscription{ID: x.ID, Destination: x.Destination, AckMode: AckMode(x.Mode), Delivered: x.Delivered}
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	return out
}

// idLess orders "sub-2" before "sub-10", and other ids by text.
func idLess(a, b string) bool {
	na, oka := subNumber(a)
	nb, okb := subNumber(b)
	switch {
	case oka && okb:
		return na < nb
	case oka != okb:
		return oka
	}
	return a < b
}

func subNumber(id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, "sub-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil
}

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
	err = s.call(context.Background(), "Ack", max(cfg.timeout, listWait), CodeOther, func(ctx context.Context) error {
		return s.ackNow(ctx, eng, ref, nack, cfg)
	})
	if err != nil && !errors.Is(err, ErrAlreadyAcked) { // AckClient: an Ack covered it
		s.post(&actors.ErrorEvent{Err: err})
	}
	return actors.AckNone
}

// ackNow acknowledges the message ref names. It takes the reference, not
// the event: a call that does not wait (Timeout 0) runs after Ack
// returned, when the event may be released and serve another message.
func (s *STOMP) ackNow(ctx context.Context, eng *actors.Conn, ref actors.MessageRef, nack bool, cfg config) error {
	var receipt = receiptWait(ctx, cfg.timeout)
	if !cfg.requestAckReceipts {
		receipt = 0
	}
	return eng.AckRef(ctx, ref, nack, cfg.ackTransactionID, receipt)
}

// Ack acknowledges a message of a subscription that needs
// acknowledgements, from any goroutine, during or after its handler (the
// way with SubscribeOptions.ManualAck). It carries AckTransactionId and,
// with RequestAckReceipts, waits for the broker's RECEIPT, and then for
// the OnReceiptOut and OnReceiptIn handlers of its events, as the other
// calls that wait for a RECEIPT do (see "Events" in the package doc). A
// message is acknowledged once: a second Ack or Nack returns
// ErrAlreadyAcked, and so does one of a message that a cumulative ACK
// (AckClient) of a later message already covered. It is bounded by ctx
// and Timeout. An Ack that failed before its frame was written (ErrTimeout, ErrCanceled, ErrWouldBlock, ErrNotConnected,
// ErrUnknownTransaction ...) acknowledged nothing and may be made again;
// one whose frame was written, or may have been (nil, ErrOutcomeUnknown,
// ErrReceiptTimeout, a server ERROR), counts as made, and Stats.Acks
// counts only those.
func (s *STOMP) Ack(ctx context.Context, ev *MessageInEvent) error { return s.ackCall(ctx, ev, false) }

// Nack tells the broker a message was not processed, like Ack. It needs
// STOMP 1.1 or later (ErrNackUnsupported on 1.0).
func (s *STOMP) Nack(ctx context.Context, ev *MessageInEvent) error { return s.ackCall(ctx, ev, true) }

func (s *STOMP) ackCall(ctx context.Context, ev *MessageInEvent, nack bool) error {
	if ev == nil || !ev.msg.NeedsAck() {
		return ErrNoAck
	}
	eng, err := s.connected()
	if err != nil {
		return err
	}
	if nack && s.version() == frames.V10 {
		return ErrNackUnsupported
	}
	if !ev.settled.CompareAndSwap(false, true) {
		return ErrAlreadyAcked
	}
	if nack {
		ev.traceNack()
	}
	cfg := s.snapshot()
	ref := ev.msg
	// A call queued (Timeout 0 without a deadline) runs after Ack
	// returned, and takes the event back there if it failed before
	// writing, unless it is lent (it may be another message's by then).
	// A call that waits is taken back here, once (twice, a concurrent
	// Ack's settling between the two would be undone).
	_, deadline := ctxOrBackground(ctx).Deadline()
	later := cfg.timeout <= 0 && !deadline
	takeBack := later && !ev.lent
	idle := eng // its wait is an inactivity one (callWriting), unless AbsoluteTimeout
	if cfg.absoluteTimeout {
		idle = nil
	}
	// With RequestAckReceipts it causes a ReceiptOut and a ReceiptIn,
	// whose handlers it waits for as the other receipted calls do.
	var kinds eventKinds
	if cfg.requestAckReceipts {
		kinds = receiptCauses
	}
	err = s.callCausing(ctx, "Ack", cfg.timeout, idle, CodeOther, kinds, func(ctx context.Context) error {
		err := s.ackNow(ctx, eng, ref, nack, cfg)
		if takeBack && unwritten(err) {
			ev.settled.Store(false)
		}
		return err
	})
	if unwritten(err) { // refused here: the call did not run, or waited
		ev.settled.Store(false)
	}
	return err
}

// unwritten reports whether an Ack or Nack was refused before anything
// was written (ErrTimeout, ErrCanceled, ErrWouldBlock, ErrNotConnected,
// an AckTransactionID that names no open transaction ...): the message
// is not acknowledged, and the Ack may be made again.
func unwritten(err error) bool {
	return !actors.Written(err) && !errors.Is(err, ErrAlreadyAcked)
}

// version is the negotiated protocol version, or 0 when not connected.
func (s *STOMP) version() frames.Version {
	if eng, _ := s.engine(); eng != nil {
		if info, ok := eng.Info(); ok {
			return info.Version
		}
	}
	return 0
}
