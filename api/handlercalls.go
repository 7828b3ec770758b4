package api

import "runtime"

// The functions a handler of the program runs under: every MessageIn
// handler under runHandler, every DeadLetter hook under runDeadLetter, and
// with ProcessIdleEvents false every queued event's (MessageIn's too)
// under runQueued, inside DoEvents.
const (
	runHandlerFunc    = "github.com/stompactor/stompactor/api.(*STOMP).runHandler"
	runDeadLetterFunc = "github.com/stompactor/stompactor/api.(*STOMP).runDeadLetter"
	runQueuedFunc     = "github.com/stompactor/stompactor/api.(*STOMP).runQueued"
	runCallFunc       = "github.com/stompactor/stompactor/api.(*STOMP).runCall"
)

// onQueueGoroutine reports whether the calling goroutine runs a queued
// event's handler or a queued call (of any client): the goroutines Close
// waits for, which must not wait for themselves. Like handlerFrames it
// walks the whole stack, for Close only, and only while some handler or
// call runs.
func onQueueGoroutine() bool {
	var pcs [64]uintptr
	for skip := 2; ; skip += len(pcs) {
		n := runtime.Callers(skip, pcs[:])
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			if f.Function == runQueuedFunc || f.Function == runCallFunc {
				return true
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return false
		}
	}
}

// runDeadLetter calls a DeadLetter hook (the engine reports its panics),
// under a name handlerFrames knows.
//
//go:noinline
func (s *STOMP) runDeadLetter(dl func(*MessageInEvent), ev *MessageInEvent) { dl(ev) }

// handlerFrames reports whether the calling goroutine runs inside a
// MessageIn handler (or a DeadLetter hook), and inside a queued event's
// handler, of any client: its stack holds runHandler (runDeadLetter), or
// runQueued. It walks the whole stack, so
// it is for calls that are rare (Disconnect), never for a path every
// message takes; callers first ask whether this client runs such a
// handler at all.
func handlerFrames() (message, queued bool) {
	var pcs [64]uintptr
	for skip := 2; ; skip += len(pcs) {
		n := runtime.Callers(skip, pcs[:])
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			switch f.Function {
			case runHandlerFunc, runDeadLetterFunc:
				message = true
			case runQueuedFunc:
				queued = true
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return message, queued
		}
	}
}
