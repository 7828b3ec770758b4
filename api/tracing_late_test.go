package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/stompactor/stompactor/sim"
)

// slowEnd is a span processor whose OnEnd for "send" spans blocks until
// released (bounded), as a SimpleSpanProcessor's synchronous export does.
type slowEnd struct {
	entered  chan struct{}
	returned chan struct{}
	release  chan struct{}
}

func (p *slowEnd) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (p *slowEnd) OnEnd(s sdktrace.ReadOnlySpan) {
	if !strings.HasPrefix(s.Name(), "send ") {
		return
	}
	close(p.entered)
	select {
	case <-p.release:
	case <-time.After(wait):
	}
	close(p.returned)
}
func (p *slowEnd) Shutdown(context.Context) error   { return nil }
func (p *slowEnd) ForceFlush(context.Context) error { return nil }

// A traced synchronous at-least-once send whose wait ended before its
// RECEIPT ends its span when Close settles the message, and Close waits
// for that (review 11: the TracerProvider's code still ran, on a goroutine
// of the client's, after Close returned).
func TestCloseWaitsForTheLateEndOfASyncSendsSpan(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "no receipt", Kind: sim.WithholdReceipt, Times: -1}}))
	p := &slowEnd{entered: make(chan struct{}), returned: make(chan struct{}), release: make(chan struct{})}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s := NewSTOMP(WithAtLeastOnce(AtLeastOnce{Enabled: true}), WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}))
	h, port := hostPort(t, b.Addr())
	require.NoError(t, s.ConnectContext(ctx, h, port))
	sendCtx, endWait := context.WithCancel(ctx)
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for len(b.FaultEvents()) == 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
		endWait() // the broker has the message and withheld its RECEIPT
	}()
	err := s.SendMessageContext(sendCtx, "/queue/r11-close", "m")
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	// The span's End runs once Close settled the message; while it runs,
	// Close has not returned.
	select {
	case <-p.entered:
	case <-closed:
		t.Fatal("Close returned before the send span's End ran")
	case <-time.After(wait):
		t.Fatal("the send span's End never ran")
	}
	select { // nothing may happen here: Close waits while End is held
	case <-closed:
		close(p.release)
		t.Fatal("Close returned while a goroutine of the client still ran the send span's End: it outlives Close")
	case <-time.After(200 * time.Millisecond):
	}
	close(p.release)
	recv(t, closed)
	select {
	case <-p.returned:
	default:
		t.Fatal("Close returned before the span's End did")
	}
}

// A traced at-least-once send that joins a transaction is refused before
// any span starts, synchronous or not (review 11: the synchronous one
// recorded a failed "send" span).
func TestATransactedAtLeastOnceSendHasNoSpan(t *testing.T) {
	for _, async := range []bool{false, true} {
		name := "sync"
		if async {
			name = "async"
		}
		t.Run(name, func(t *testing.T) {
			b := newBroker(t)
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true}), WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}))
			require.NoError(t, s.BeginTransaction("t1"))
			opts := SendOptions{TransactionID: "t1"}
			var err error
			if async {
				err = s.SendAsync(context.Background(), "/queue/r11-tx", []byte("x"), opts, func(error) {})
			} else {
				err = s.Send(context.Background(), "/queue/r11-tx", []byte("x"), opts)
			}
			require.ErrorIs(t, err, ErrInvalidArgument)
			require.Zero(t, len(sr.Started()), "a send refused before the outbox (a transaction) starts no span")
		})
	}
}
