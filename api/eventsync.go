package api

import (
	"context"

	"github.com/stompactor/stompactor/actors"
)

// A call that waits for its outcome returns once the handlers of the
// events it caused have run, as in the reference, where those events fire
// while the call runs: a program reads right after Subscribe what its
// OnSubscribed handler noted. The engine queues each such event before it
// answers the call (the events of Connect and Disconnect included), so once
// the call has its outcome, a marker posted behind them on the event queue
// runs after their handlers: the call waits for it (awaitHandlers).
//
// That wait costs nothing where nothing would be waited for: with no
// handler of the call's kinds, or with the event queue idle (every event
// posted so far has run) the call returns as before.

// eventKinds says which events a call causes: a bit per handler.
type eventKinds uint16

const (
	causesConnected eventKinds = 1 << iota
	causesStatus
	causesReadyToSend
	causesDisconnected
	causesSubscribed
	causesUnsubscribed
	causesReceiptIn
	causesReceiptOut
	causesMessageOut
)

// What each call causes.
const (
	connectCauses     = causesConnected | causesStatus | causesReadyToSend
	disconnectCauses  = causesDisconnected | causesStatus | causesReceiptIn | causesReceiptOut
	subscribeCauses   = causesSubscribed | causesReceiptIn | causesReceiptOut
	unsubscribeCauses = causesUnsubscribed | causesReceiptIn | causesReceiptOut
	receiptCauses     = causesReceiptIn | causesReceiptOut
	sendCauses        = receiptCauses | causesMessageOut
)

// handles reports whether a handler of one of kinds is registered.
func (h *handlers) handles(kinds eventKinds) bool {
	if h == nil {
		return false
	}
	has := func(k eventKinds, set bool) bool { return kinds&k != 0 && set }
	return has(causesConnected, h.connected != nil) ||
		has(causesStatus, h.status != nil) ||
		has(causesReadyToSend, h.readyToSend != nil) ||
		has(causesDisconnected, h.disconnected != nil) ||
		has(causesSubscribed, h.subscribed != nil) ||
		has(causesUnsubscribed, h.unsubscribed != nil) ||
		has(causesReceiptIn, h.receiptIn != nil) ||
		has(causesReceiptOut, h.receiptOut != nil) ||
		has(causesMessageOut, h.messageOut != nil)
}

// awaitHandlers waits, once a call caused events of kinds and has its
// outcome, until the handlers of the events queued so far have run,
// bounded by ctx (the call's own bound) and by Close. It does not wait
// when no handler of kinds is registered, when the event queue is idle,
// in the manual mode (ProcessIdleEvents false: DoEvents runs them, and a
// wait ends when that mode starts, from a handler, Config or Reset), or
// when the caller is itself a handler of this client (an event handler,
// which the marker would queue behind, or a MessageIn handler or
// DeadLetter hook, which an event handler may be waiting for: Disconnect
// waits for them).
func (s *STOMP) awaitHandlers(ctx context.Context, kinds eventKinds) {
	q := s.events.Load()
	if q == nil || !q.busy() {
		return
	}
	s.hmu.RLock()
	handled := s.handlers.handles(kinds)
	s.hmu.RUnlock()
	if !handled || s.inAnyOwnHandler() {
		return
	}
	turned, manual := q.whenManual()
	if manual {
		return
	}
	mark := make(chan struct{})
	if !q.post(queuedEvent{mark: mark}, 0) {
		return // closed: its last events run (or were dropped) with Close
	}
	select {
	case <-mark:
	case <-turned: // the marker is left for DoEvents
	case <-ctx.Done():
	case <-s.bg.Done():
	}
}

// inAnyOwnHandler reports whether the caller may be a handler of this
// client: an event handler or queued call, a MessageIn handler or a
// DeadLetter hook. It walks the stack only when one of these runs, and
// the stack shows that the caller runs a handler, not whose: a handler of
// another client, running while one of this client's runs, is taken for
// one of this client's.
func (s *STOMP) inAnyOwnHandler() bool {
	eng, _ := s.engine()
	return s.handlerOfRunning(eng)
}

// handlerOfRunning is inAnyOwnHandler, with eng the client's connection
// (nil: none).
func (s *STOMP) handlerOfRunning(eng *actors.Conn) bool {
	running := s.inHandler.Load() > 0
	if !running && eng != nil {
		running = eng.HandlersRunning() > 0
	}
	if !running {
		return false
	}
	message, queued, call := handlerFrames()
	return message || queued || call
}
