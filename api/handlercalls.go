package api

import "runtime"

// The functions a handler of the program runs under: every MessageIn
// handler under runHandler, and with ProcessIdleEvents false every queued
// event's (MessageIn's too) under runQueued, inside DoEvents.
const (
	runHandlerFunc = "github.com/stompactor/stompactor/api.(*STOMP).runHandler"
	runQueuedFunc  = "github.com/stompactor/stompactor/api.(*STOMP).runQueued"
)

// handlerFrames reports whether the calling goroutine runs inside a
// MessageIn handler, and inside a queued event's handler, of any client:
// its stack holds runHandler, or runQueued. It walks the whole stack, so
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
			case runHandlerFunc:
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
