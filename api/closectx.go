package api

import (
	"context"
	"errors"

	"github.com/stompactor/stompactor/actors"
)

// CloseContext does what Close does, with its waits for running handlers
// (an event handler, a MessageIn handler that started while the client
// closed, a call that Timeout 0 queued) bounded by ctx. When ctx ends
// first, it returns ErrTimeout (its deadline passed) or ErrCanceled (it
// was canceled), wrapping ctx.Err(); the client is closed all the same:
// the connection is ended, its actors stopped or stopping, and every
// later call fails with ErrClosed. A handler still running then ends its
// goroutine, and the client's last ones with it, when it returns. While
// no handler runs it waits for the client's own goroutines, which end by
// themselves, even once ctx ended, and returns nil. A ctx that never ends
// (context.Background()) waits as Close does. Like Close, CloseContext
// called from inside a handler returns once the connection is closed, and
// a CloseContext made while another Close is under way waits, within ctx,
// for that one.
func (s *STOMP) CloseContext(ctx context.Context) error {
	err := s.close(ctx)
	if err == nil {
		return nil
	}
	code := CodeCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		code = CodeTimeout
	}
	return actors.NewError(code, "stomp: CloseContext: the context ended while handlers still ran ("+err.Error()+"): the client is closed, and they end when they return", err)
}
