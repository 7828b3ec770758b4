package api

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/actors"
)

// queuedEvent is an engine event, or a message to hand to a handler
// inside DoEvents, waiting in the client's event queue.
type queuedEvent struct {
	ev  actors.Event
	msg *msgJob
	// mark, when not nil, is closed when its turn comes: a call that
	// waits for the handlers of the events queued before it
	// (awaitHandlers).
	mark chan struct{}
	// size is what ev holds that the broker chose the size of (a server
	// ERROR's headers and body, a log line), counted against the queue's
	// byte budget (eventQueueBytes).
	size int
}

// eventWeight is the queue's weigh: a job's size.
func eventWeight(q queuedEvent) int { return q.size }

// msgJob runs a MessageIn handler inside DoEvents; the subscription's
// goroutine waits for done.
type msgJob struct {
	ev      *MessageInEvent
	h       func(*MessageInEvent)
	done    chan struct{}
	failure *Error // the handler panicked
	// state decides, in one step, whether DoEvents runs the job
	// (jobTaken) or the subscription gives it up as the client closes
	// (jobAbandoned): a message is either handed to the program or
	// counted dropped, never both.
	state atomic.Int32
}

// The states of a msgJob.
const (
	jobWaiting int32 = iota
	jobTaken
	jobAbandoned
)

// onEngineEvent receives every engine event but MessageIn, in order, on
// engine goroutines. It must not block: it queues the event for its
// handler.
func (s *STOMP) onEngineEvent(e actors.Event) {
	switch ev := e.(type) {
	case *actors.ErrorEvent:
		_ = s.err(ev.Err, CodeOther)
	case *actors.ConnectedEvent:
		_ = s.err(ev.Err, CodeConnectFailed)
	case *actors.DisconnectedEvent:
		_ = s.err(ev.Err, CodeConnectionLost)
	case *actors.ConnectionStatusEvent:
		s.noteDial(ev)
	}
	s.post(e)
}

// engineWants tells the engine which events onEngineEvent takes: those
// with a handler, and the connection status while tracing, which notes
// the broker dialed (noteDial).
func (s *STOMP) engineWants(e actors.Event) bool {
	if _, ok := e.(*actors.ConnectionStatusEvent); ok && s.tracer.Load() != nil {
		return true
	}
	return s.wanted(e)
}

// post queues an event for its handler. Logs, message-out and receipt
// events give way: they are dropped (and counted) once the queue is three
// quarters full, so that state events always find room. The queue also
// bounds in bytes (eventQueueBytes) what its server ERRORs and log lines
// hold: past that, a log line is dropped (and counted), and an ERROR's
// event is kept without the frame's headers and body (errorOnly).
func (s *STOMP) post(e actors.Event) {
	if !s.wanted(e) {
		return // nobody listens: no queue, no goroutine, no garbage
	}
	quarters, size := 4, 0
	switch ev := e.(type) {
	case *actors.LogEvent:
		if !s.logWanted(ev.Level) {
			return
		}
		quarters, size = 3, len(ev.Message)
	case *actors.MessageOutEvent, *actors.ReceiptInEvent, *actors.ReceiptOutEvent:
		quarters = 3
	case *actors.ErrorEvent:
		size = serverErrorSize(ev.Err)
	}
	q := s.eventQueue()
	if q != nil && q.post(queuedEvent{ev: e, size: size}, quarters) {
		return
	}
	if ev, ok := e.(*actors.ErrorEvent); ok && q != nil && size > 0 {
		// Over the byte budget: the ERROR is still told, by its message.
		if q.post(queuedEvent{ev: &actors.ErrorEvent{Err: errorOnly(ev.Err)}}, quarters) {
			return
		}
	}
	s.dropped.Add(1)
}

// serverErrorSize is what a server ERROR's event holds of the frame (its
// headers, its body and its message), 0 for any other error.
func serverErrorSize(err error) int {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeServerError {
		return 0
	}
	n := len(e.Message) + len(e.Body)
	for _, h := range e.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// errorOnly is a server ERROR without the frame's headers and body: its
// code and message, Truncated set. Its message is scrubbed when the event
// fires, as every ERROR's is (scrubServerError scrubs it as it is, having
// no headers to make it again from).
func errorOnly(err error) *Error {
	var e *Error
	errors.As(err, &e)
	out := actors.NewError(e.Code, err.Error(), nil)
	out.Truncated = true
	return out
}

// wanted reports whether a handler for e is registered now. An event is
// taken or left when it happens: a handler registered later hears only
// of what happens after, as MessageOut events always did.
func (s *STOMP) wanted(e actors.Event) bool {
	s.hmu.RLock()
	defer s.hmu.RUnlock()
	h := s.handlers
	if h == nil {
		return false
	}
	switch e.(type) {
	case *actors.ConnectedEvent:
		return h.connected != nil
	case *actors.ConnectionStatusEvent:
		return h.status != nil
	case *actors.DisconnectedEvent:
		return h.disconnected != nil
	case *actors.ErrorEvent:
		return h.err != nil
	case *actors.LogEvent:
		return h.log != nil
	case *actors.MessageOutEvent:
		return h.messageOut != nil
	case *actors.ReadyToSendEvent:
		return h.readyToSend != nil
	case *actors.ReceiptInEvent:
		return h.receiptIn != nil
	case *actors.ReceiptOutEvent:
		return h.receiptOut != nil
	case *actors.SubscribedEvent:
		return h.subscribed != nil
	case *actors.UnsubscribedEvent:
		return h.unsubscribed != nil
	}
	return true
}

// logWanted applies LogLevel: 0 logs nothing; errors count as level 1.
// engineLogLevel is the most detailed LogEvent the engine should make for
// LogLevel n (see logWanted): none at 0.
func engineLogLevel(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// engineLogLevelLocked is the most detailed LogEvent the engine should
// make now: none without an OnLog handler, which would only drop them.
// s.mu is held.
func (s *STOMP) engineLogLevelLocked() int {
	if s.handlersNow().log == nil {
		return -1
	}
	return engineLogLevel(s.cfg.logLevel)
}

func (s *STOMP) logWanted(level int) bool {
	s.mu.Lock()
	max := s.cfg.logLevel
	s.mu.Unlock()
	return max > 0 && level <= max
}

// runQueued runs one queued event's handler. Its frame tells
// handlerFrames that a caller runs in a queued handler.
//
//go:noinline
func (s *STOMP) runQueued(q queuedEvent) {
	if q.mark != nil {
		close(q.mark)
		return
	}
	s.inHandler.Add(1)
	defer s.inHandler.Add(-1)
	if q.msg != nil {
		if !q.msg.state.CompareAndSwap(jobWaiting, jobTaken) {
			return // given up as the client closed: counted dropped
		}
		// The subscription waits for done: it closes even when the
		// handler ends its goroutine, the message then taken as failed.
		returned := false
		defer func() {
			if !returned {
				q.msg.failure = newError(CodeOther, "MessageIn handler ended its goroutine (runtime.Goexit, which t.FailNow calls) on subscription "+q.msg.ev.SubscriptionID)
				s.post(&actors.ErrorEvent{Err: q.msg.failure})
			}
			close(q.msg.done)
		}()
		q.msg.failure = s.runHandler(q.msg.h, q.msg.ev, false)
		returned = true
		return
	}
	s.fire(q.ev)
}

// DoEvents runs the queued events on the caller's goroutine when
// ProcessIdleEvents is false (WithManualEvents), waiting up to
// SelectWaitMillis for the first one. Called from an event handler it
// returns after SelectWaitMillis without running anything.
//
// With ProcessIdleEvents true (the default) the events run by themselves,
// on the client's event goroutine, and DoEvents has none to run: it waits
// until the event goroutine has handled an event of this client, or until
// SelectWaitMillis has passed, or until Close, whichever comes first. A
// loop ported from the reference, for !done { s.DoEvents() } with done
// set by a handler, so neither spins nor waits longer than needed.
// Called from an event handler of this client (on the event goroutine,
// which handles nothing while that handler runs) it returns at once; a
// MessageIn handler's call waits as any other. The caller's stack tells
// that it runs an event handler, not whose: called from an event handler
// of another client while one of this client's runs, it returns at once
// too. With SelectWaitMillis 0 it returns at once.
//
// It returns ErrClosed after Close.
func (s *STOMP) DoEvents() error {
	s.mu.Lock()
	closed, wait, manual := s.closed, s.cfg.selectWait, s.cfg.manualEvents
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	q := s.eventQueue()
	if q != nil {
		if manual {
			q.drain(wait, s.bg.Done())
		} else if wait > 0 && !s.onEventGoroutine() {
			t := time.NewTimer(wait)
			select {
			case <-q.afterNextJob():
			case <-t.C:
			case <-s.bg.Done():
			}
			t.Stop()
		}
	}
	select {
	case <-s.bg.Done():
		return ErrClosed
	default:
		return nil
	}
}

// onEventGoroutine reports whether the caller may be an event handler (or
// a queued call) of this client: one runs now, and the caller's stack
// holds runQueued. A handler of another client running at the same time
// as one of this client's is taken for one. It walks the stack only
// when one of this client's runs.
func (s *STOMP) onEventGoroutine() bool {
	if s.inHandler.Load() == 0 {
		return false
	}
	_, queued, _ := handlerFrames()
	return queued
}

// EventsDropped counts events dropped because the event queue was full:
// it holds 4096 events, logs and message-out or receipt events giving way
// at three quarters, and 8 MiB of what the broker sent (ERRORs' headers
// and bodies, log lines), a log line past that being dropped too (an
// ERROR's event is kept, with its message only: see "Server errors").
func (s *STOMP) EventsDropped() int64 { return s.dropped.Load() }

// guard runs a user callback, logging (never re-raising) a panic and
// counting it in Stats.Panics. It returns what f panicked with, or nil.
// A handler that ends its goroutine (runtime.Goexit) is logged and
// counted too; what runs the handler carries on on another goroutine.
func (s *STOMP) guard(what string, f func()) (recovered any) {
	return s.guardCounting(what, f, true)
}

// guardCounting is guard; with countExit false a runtime.Goexit is not
// counted, for f runs on a goroutine of the engine, which counts it (a
// MessageIn handler outside the manual mode).
func (s *STOMP) guardCounting(what string, f func(), countExit bool) (recovered any) {
	returned := false
	defer func() {
		if r := recover(); r != nil {
			recovered = r
			s.countPanic()
			s.logger.Error(s.scrub(fmt.Sprintf("stomp: %s handler panicked: %v", what, r)), "type", "info", "stack", string(debug.Stack()))
		} else if !returned {
			if countExit {
				s.countPanic()
			}
			s.logger.Error("stomp: "+what+" handler ended its goroutine (runtime.Goexit, which t.FailNow calls)", "type", "info")
		}
	}()
	f()
	returned = true
	return nil
}

// fire converts an engine event and calls its handler.
func (s *STOMP) fire(e actors.Event) {
	h := s.handlersNow()
	switch ev := e.(type) {
	case *actors.ConnectedEvent:
		if h.connected == nil {
			return
		}
		out := &ConnectedEvent{Description: "connected"}
		if ev.Err != nil {
			err := toError(ev.Err, CodeConnectFailed, s.scrub)
			out.StatusCode, out.Description, out.Err = err.Code, err.Message, err
		} else {
			out.Description = "connected to " + peerText(ev.Info.Server) + " with STOMP " + ev.Info.Version.String()
			out.Reconnected = ev.Restored
		}
		s.guard("Connected", func() { h.connected(out) })
	case *actors.ConnectionStatusEvent:
		if h.status == nil {
			return
		}
		out := &ConnectionStatusEvent{ConnectionEvent: ev.Status, Description: s.scrub(ev.Detail)}
		if ev.Status == "lost" {
			out.StatusCode = CodeConnectionLost
		}
		s.guard("ConnectionStatus", func() { h.status(out) })
	case *actors.DisconnectedEvent:
		if h.disconnected == nil {
			return
		}
		out := &DisconnectedEvent{Description: "disconnected"}
		if ev.Err != nil {
			err := toError(ev.Err, CodeConnectionLost, s.scrub)
			out.StatusCode, out.Description, out.Err = err.Code, err.Message, err
		}
		s.guard("Disconnected", func() { h.disconnected(out) })
	case *actors.ErrorEvent:
		if h.err == nil || ev.Err == nil {
			return
		}
		err := toError(ev.Err, CodeOther, s.scrub)
		s.guard("Error", func() { h.err(&ErrorEvent{ErrorCode: err.Code, Description: err.Message, Err: err}) })
	case *actors.LogEvent:
		if h.log == nil {
			return
		}
		out := &LogEvent{LogLevel: max(ev.Level, 1), Message: s.scrub(ev.Message), LogType: logType(ev.Type)}
		s.guard("Log", func() { h.log(out) })
	case *actors.MessageOutEvent:
		if h.messageOut != nil {
			out := &MessageOutEvent{Destination: ev.Destination, Headers: fromFrameHeaders(ev.Headers, false), Size: ev.Size}
			s.guard("MessageOut", func() { h.messageOut(out) })
		}
	case *actors.ReadyToSendEvent:
		if h.readyToSend != nil {
			s.guard("ReadyToSend", func() { h.readyToSend(&ReadyToSendEvent{}) })
		}
	case *actors.ReceiptInEvent:
		if h.receiptIn != nil {
			s.guard("ReceiptIn", func() { h.receiptIn(&ReceiptInEvent{ReceiptID: ev.ReceiptID}) })
		}
	case *actors.ReceiptOutEvent:
		if h.receiptOut != nil {
			s.guard("ReceiptOut", func() { h.receiptOut(&ReceiptOutEvent{ReceiptID: ev.ReceiptID, Command: ev.Command.String()}) })
		}
	case *actors.SubscribedEvent:
		if h.subscribed != nil {
			s.guard("Subscribed", func() { h.subscribed(&SubscribedEvent{SubscriptionID: ev.ID, Destination: ev.Destination}) })
		}
	case *actors.UnsubscribedEvent:
		if h.unsubscribed != nil {
			s.guard("Unsubscribed", func() { h.unsubscribed(&UnsubscribedEvent{SubscriptionID: ev.ID, Destination: ev.Destination}) })
		}
	}
}

func logType(t string) string {
	switch t {
	case "ack":
		return "Ack"
	case "frame":
		return "Frame"
	}
	return "Info"
}
