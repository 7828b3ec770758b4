package api

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/stompactor/stompactor/actors"
)

// queuedEvent is an engine event, or a message to hand to a handler,
// waiting in the manual-mode queue.
type queuedEvent struct {
	ev  actors.Event
	msg *msgJob
}

// msgJob runs a MessageIn handler inside DoEvents; the subscription's
// goroutine waits for done.
type msgJob struct {
	ev       *MessageInEvent
	h        func(*MessageInEvent)
	done     chan struct{}
	panicked bool
}

// onEngineEvent receives every engine event but MessageIn, in order, on
// the engine's event goroutine.
func (s *STOMP) onEngineEvent(e actors.Event) {
	switch ev := e.(type) {
	case *actors.ErrorEvent:
		_ = s.err(ev.Err, CodeOther)
	case *actors.ConnectedEvent:
		_ = s.err(ev.Err, CodeConnectFailed)
	case *actors.DisconnectedEvent:
		_ = s.err(ev.Err, CodeConnectionLost)
	case *actors.LogEvent:
		if !s.logWanted(ev.Level) {
			return
		}
	}
	if s.manual() {
		s.enqueue(queuedEvent{ev: e})
		return
	}
	select {
	case s.evSem <- struct{}{}:
	default:
		select {
		case s.evSem <- struct{}{}:
		case <-s.closing:
			return // the holder may be a handler that is closing the client
		}
	}
	s.drainQueued()
	s.fire(e)
	<-s.evSem
}

func (s *STOMP) manual() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.manualEvents
}

// logWanted applies LogLevel: 0 logs nothing; errors count as level 1.
func (s *STOMP) logWanted(level int) bool {
	s.mu.Lock()
	max := s.cfg.logLevel
	s.mu.Unlock()
	return max > 0 && level <= max
}

// enqueue adds an event to the manual-mode queue without blocking. Like
// the engine's own queue it keeps a quarter of its room for state events:
// logs, message-out and receipt events are dropped (and counted) first.
func (s *STOMP) enqueue(q queuedEvent) {
	switch q.ev.(type) {
	case *actors.LogEvent, *actors.MessageOutEvent, *actors.ReceiptInEvent, *actors.ReceiptOutEvent:
		if len(s.events) >= cap(s.events)*3/4 {
			s.dropped.Add(1)
			return
		}
	}
	select {
	case s.events <- q:
	default:
		s.dropped.Add(1)
	}
}

// drainQueued runs every queued event; s.evSem is held.
func (s *STOMP) drainQueued() int {
	n := 0
	for {
		select {
		case q := <-s.events:
			s.runQueued(q)
			n++
		default:
			return n
		}
	}
}

func (s *STOMP) runQueued(q queuedEvent) {
	if q.msg != nil {
		q.msg.panicked = s.runHandler(q.msg.h, q.msg.ev)
		close(q.msg.done)
		return
	}
	s.fire(q.ev)
}

// runLeftovers runs, on a goroutine of its own, the events queued in
// manual mode once the client left it; messages waiting there would
// otherwise wait for a DoEvents nobody calls.
func (s *STOMP) runLeftovers() {
	s.goTracked(func() {
		select {
		case s.evSem <- struct{}{}:
		case <-s.closing:
			return
		}
		s.leftovers.Add(1) // Close from one of these handlers must not wait for it
		s.drainQueued()
		s.leftovers.Add(-1)
		<-s.evSem
	})
}

// DoEvents runs the queued events on the caller's goroutine when
// ProcessIdleEvents is false (WithManualEvents), waiting up to
// SelectWaitMillis for the first one. Otherwise it returns at once: events
// run by themselves. It returns ErrClosed after Close. Called from an
// event handler it returns after SelectWaitMillis without running
// anything.
func (s *STOMP) DoEvents() error {
	s.mu.Lock()
	closed, wait := s.closed, s.cfg.selectWait
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case s.evSem <- struct{}{}:
	default:
		select {
		case s.evSem <- struct{}{}:
		case <-timeout:
			return nil
		case <-s.closing:
			return ErrClosed
		}
	}
	defer func() { <-s.evSem }()
	if s.drainQueued() > 0 || !s.manual() {
		return nil
	}
	select {
	case q := <-s.events:
		s.runQueued(q)
		s.drainQueued()
	case <-timeout:
	case <-s.closing:
		return ErrClosed
	}
	return nil
}

// EventsDropped counts events dropped because an event queue was full
// (logs and message-out or receipt events first; see DoEvents).
func (s *STOMP) EventsDropped() int64 {
	n := s.dropped.Load()
	if eng, _ := s.engine(); eng != nil {
		n += eng.EventsDropped()
	}
	return n
}

// guard runs a user callback, logging (never re-raising) a panic. It
// returns what f panicked with, or nil.
func (s *STOMP) guard(what string, f func()) (recovered any) {
	defer func() {
		if r := recover(); r != nil {
			recovered = r
			s.logger.Error(s.scrub(fmt.Sprintf("stomp: %s handler panicked: %v", what, r)), "type", "info", "stack", string(debug.Stack()))
		}
	}()
	f()
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
			out.Description = "connected to " + ev.Info.Server + " with STOMP " + ev.Info.Version.String()
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
