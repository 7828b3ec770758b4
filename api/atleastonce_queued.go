package api

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// An at-least-once send that does not wait: SendMessage, SendData and
// Send with AtLeastOnce, Timeout 0 and no deadline on the context.

// noWait reports whether a call with Timeout timeout and context ctx does
// not wait (doc.go, "Calls and timeouts"): Timeout 0 and no deadline.
func noWait(ctx context.Context, timeout time.Duration) bool {
	if timeout > 0 {
		return false
	}
	if ctx != nil {
		if _, ok := ctx.Deadline(); ok {
			return false
		}
	}
	return true
}

// sendQueued hands f to the outbox without waiting, for its RECEIPT or
// for room: nil once the outbox took it, ErrWouldBlock at once when the
// outbox is full. The message then stays in the outbox (sent again after
// every reconnect) until its RECEIPT; a failure (an ERROR naming its
// receipt, the connection's end for good) reaches OnError, naming the
// message (queuedFailure).
func (s *STOMP) sendQueued(ctx context.Context, eng *actors.Conn, f *frames.Frame, cfg sendOptions) error {
	call, dest, dedup := cfg.call, f.Header(frames.HdrDestination), cfg.outbox.DedupHeader
	return s.reliable(ctx, eng, f, cfg, s.tracer.Load(), func(err error) {
		if err == nil {
			return
		}
		id := ""
		if dedup != "" {
			// The outbox set it before it wrote f, and done is called
			// after that, by the outbox: f is read only now.
			id = f.Header(dedup)
		}
		e := queuedFailure(call, dest, dedup, id, toError(err, CodeOther, s.scrub))
		s.noteError(e)
		s.logf(actors.LogError, e.Message)
		s.post(&actors.ErrorEvent{Err: e})
	})
}

// queuedFailure is the OnError report of a message an at-least-once send
// with Timeout 0 left in the outbox and that failed with cause: the
// call, the destination and, with a DedupHeader, the message's
// de-duplication id, then cause's message. Its code, and a server
// ERROR's headers and body (the receipt-id of the SEND it refused among
// them), are cause's, which it wraps.
func queuedFailure(call, dest, dedupHeader, dedupID string, cause *Error) *Error {
	var b strings.Builder
	b.WriteString("stomp: ")
	b.WriteString(call)
	b.WriteString(" to ")
	b.WriteString(strconv.Quote(dest))
	b.WriteString(" (at least once, not waited for: Timeout 0")
	if dedupID != "" {
		b.WriteString(", ")
		b.WriteString(dedupHeader)
		b.WriteString(" ")
		b.WriteString(strconv.Quote(dedupID))
	}
	b.WriteString("): ")
	b.WriteString(strings.TrimPrefix(cause.Message, "stomp: "))
	out := actors.NewError(cause.Code, b.String(), cause)
	out.Headers, out.Body, out.Truncated = cause.Headers, cause.Body, cause.Truncated
	return out
}
