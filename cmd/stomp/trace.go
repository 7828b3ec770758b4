package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/stompactor/stompactor/api"
)

// --trace: the trace id of each message, for following a message by hand
// through brokers and programs that trace with OpenTelemetry. The
// context travels as W3C trace context (traceparent and tracestate).

// noTrace is what subscribe --trace prints for a message that carries no
// valid trace context.
const noTrace = "none"

// sendTracer starts a trace per message sent and prints the id of the
// trace the message carries.
type sendTracer struct {
	tp  *sdktrace.TracerProvider
	out io.Writer
	own string // the trace id of a valid traceparent given with -H, or noTrace
}

// newSendTracer returns the tracer of send --trace, and the option that
// turns tracing on in the client. The SDK's provider records every span
// and exports none: only the ids matter here. headers are the -H values
// (name:value): a valid traceparent among them is what every message
// carries, since the library keeps a valid one the caller set (the span
// links to it).
func newSendTracer(out io.Writer, headers []string) (*sendTracer, api.Option) {
	var hs []api.Header
	for _, h := range headers {
		if k, v, ok := strings.Cut(h, ":"); ok {
			hs = append(hs, api.Header{Key: k, Value: v})
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	return &sendTracer{tp: tp, out: out, own: receivedTraceID(hs)},
		api.WithTracing(api.Tracing{TracerProvider: tp, Propagator: propagation.TraceContext{}})
}

// send runs one send inside a new trace and, when it succeeds, prints the
// id of the trace the message's traceparent header carries: the new one,
// or the one given with -H.
func (t *sendTracer) send(ctx context.Context, send func(context.Context) error) error {
	ctx, id, end := t.start(ctx)
	err := send(ctx)
	end()
	if err == nil {
		fmt.Fprintf(t.out, "trace-id: %s\n", id)
	}
	return err
}

// start begins a new trace for one message: the context to send it in,
// the id of the trace it will carry (start's, or the one given with -H),
// and the function that ends start's span.
func (t *sendTracer) start(ctx context.Context) (context.Context, string, func()) {
	ctx, span := t.tp.Tracer("stomp send").Start(ctx, "stomp send", trace.WithNewRoot())
	id := t.own
	if id == noTrace {
		id = span.SpanContext().TraceID().String()
	}
	return ctx, id, func() { span.End() }
}

func (t *sendTracer) close() { _ = t.tp.Shutdown(context.Background()) }

// receivedTraceID is the trace id a message's headers carry, or noTrace.
func receivedTraceID(headers []api.Header) string {
	c := propagation.MapCarrier{}
	for _, h := range headers {
		if _, dup := c[h.Key]; !dup { // the first of repeated headers counts
			c[h.Key] = h.Value
		}
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c))
	if !sc.IsValid() {
		return noTrace
	}
	return sc.TraceID().String()
}
