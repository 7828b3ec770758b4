package bench

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/stompactor/stompactor/api"
)

// BenchmarkPublishTracing is BenchmarkPublish with tracing off and on, in
// one run, to show what tracing costs: "off" is the client without
// WithTracing; "sampled" records every span with the OpenTelemetry SDK
// (no exporter: the cost of the spans and the traceparent header, not of
// shipping them); "unsampled" has tracing on with a provider that records
// nothing (the SDK's tracer with a sampler that drops every span costs
// about the same), so it is the instrumentation's own cost.
func BenchmarkPublishTracing(b *testing.B) {
	sampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = sampled.Shutdown(context.Background()) })
	for _, c := range []struct {
		name string
		opts []api.Option
	}{
		{"off", nil},
		{"sampled", []api.Option{api.WithTracing(api.Tracing{TracerProvider: sampled, Propagator: propagation.TraceContext{}})}},
		{"unsampled", []api.Option{api.WithTracing(api.Tracing{TracerProvider: noop.NewTracerProvider(), Propagator: propagation.TraceContext{}})}},
	} {
		b.Run(c.name, func(b *testing.B) {
			host, port := target(b)
			pub := connect(b, host, port, c.opts...)
			publishAll(b, pub, "/topic/bench-trace-")
		})
	}
}
