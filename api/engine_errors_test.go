package api

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stompactor/stompactor/actors"
)

// actors.Error is "stompactor's one error type, returned by the engine":
// Engine.Close of an engine that still has a client says so with an
// *Error (ErrEngineInUse), and a client of a closed engine is told the
// engine was closed (ErrEngineClosed, under ErrClosed's code), not that
// the client was, which nobody closed.
func TestEngineErrorsAreTypedAndNameTheEngine(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	eng := actors.NewEngine(actors.EngineOptions{})
	s := NewSTOMP(WithEngine(eng))
	if err := s.ConnectContext(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	err := eng.Close()
	s.Close()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeEngineInUse || !errors.Is(err, ErrEngineInUse) {
		t.Errorf("Engine.Close with a connected client: %T %v, want an *Error of code %d", err, err, CodeEngineInUse)
	}
	if err := eng.Close(); err != nil {
		t.Fatalf("Engine.Close once the client closed: %v", err)
	}
	late := NewSTOMP(WithEngine(eng))
	defer late.Close()
	err = late.ConnectContext(ctx, h, p)
	if !errors.Is(err, ErrEngineClosed) || !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "engine closed") {
		t.Errorf("Connect through a closed engine: %v (code %d); want ErrEngineClosed (code %d), which names the engine", err, codeOf(err), CodeClosed)
	}
	if err := actors.DefaultEngine().Close(); !errors.Is(err, ErrEngineInUse) {
		t.Errorf("Close of the DefaultEngine: %v, want ErrEngineInUse", err)
	}
}
