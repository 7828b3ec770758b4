package main

import (
	"context"
	"fmt"
	"io"

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

// sendTracer starts a trace per message sent and prints its id.
type sendTracer struct {
	tp  *sdktrace.TracerProvider
	out io.Writer
}

// newSendTracer returns the tracer of send --trace, and the option that
// turns tracing on in the client. The SDK's provider records every span
// and exports none: only the ids matter here.
func newSendTracer(out io.Writer) (*sendTracer, api.Option) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	return &sendTracer{tp: tp, out: out}, api.WithTracing(api.Tracing{TracerProvider: tp, Propagator: propagation.TraceContext{}})
}

// send runs one send inside a new trace and, when it succeeds, prints the
// trace's id, which the message's traceparent header carries.
func (t *sendTracer) send(ctx context.Context, send func(context.Context) error) error {
	ctx, span := t.tp.Tracer("stomp send").Start(ctx, "stomp send", trace.WithNewRoot())
	err := send(ctx)
	span.End()
	if err == nil {
		fmt.Fprintf(t.out, "trace-id: %s\n", span.SpanContext().TraceID())
	}
	return err
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
