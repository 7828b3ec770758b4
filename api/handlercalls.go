package api

import "runtime"

// runHandlerFunc is the function every MessageIn handler is called from.
const runHandlerFunc = "github.com/stompactor/stompactor/api.(*STOMP).runHandler"

// calledFromMessageHandler reports whether the calling goroutine is inside
// a MessageIn handler (of any client): its stack holds runHandler. It
// walks the whole stack, so it is for calls that are rare (Disconnect),
// never for a path every message takes.
func calledFromMessageHandler() bool {
	var pcs [64]uintptr
	for skip := 2; ; skip += len(pcs) {
		n := runtime.Callers(skip, pcs[:])
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			if f.Function == runHandlerFunc {
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
