package api

import "runtime"

// The functions a handler of the program runs under: every MessageIn
// handler under runHandler, every DeadLetter hook under runDeadLetter,
// every queued event's (with ProcessIdleEvents false MessageIn's too,
// inside DoEvents) under runQueued, and every call that Timeout 0 queued
// under runCall.
const (
	runHandlerFunc    = "github.com/stompactor/stompactor/api.(*STOMP).runHandler"
	runDeadLetterFunc = "github.com/stompactor/stompactor/api.(*STOMP).runDeadLetter"
	runQueuedFunc     = "github.com/stompactor/stompactor/api.(*STOMP).runQueued"
	runCallFunc       = "github.com/stompactor/stompactor/api.(*STOMP).runCall"
)

// runDeadLetter calls a DeadLetter hook (the engine reports its panics),
// under a name handlerFrames knows.
//
//go:noinline
func (s *STOMP) runDeadLetter(dl func(*MessageInEvent), ev *MessageInEvent) { dl(ev) }

// handlerFrames reports whether the calling goroutine runs inside a
// MessageIn handler (or a DeadLetter hook), inside a queued event's
// handler, and inside a queued call, of any client: its stack holds
// runHandler (runDeadLetter), runQueued, or runCall. It walks the whole
// stack, so
// it is for calls that are rare (Disconnect), never for a path every
// message takes; callers first ask whether this client runs such a
// handler at all.
func handlerFrames() (message, queued, call bool) {
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
			case runCallFunc:
				call = true
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return message, queued, call
		}
	}
}
