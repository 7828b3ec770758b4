package api_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/stompactor/stompactor/api"
)

// Two clients, as two programs would be, each with its own tracer
// provider: the consumer's span is a child of the producer's, and the
// handler starts a span of its own from the message's context. A real
// program gives its provider an exporter (OTLP, say) and usually sets the
// globals instead (otel.SetTracerProvider, otel.SetTextMapPropagator),
// which an empty Tracing{} uses.
func ExampleWithTracing() {
	b, host, port := broker()
	defer b.Close()

	producerSpans, consumerSpans := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	producerTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(producerSpans))
	consumerTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(consumerSpans))
	w3c := propagation.TraceContext{} // traceparent and tracestate headers

	producer := api.NewSTOMP(api.WithTracing(api.Tracing{TracerProvider: producerTP, Propagator: w3c}))
	defer producer.Close()
	consumer := api.NewSTOMP(api.WithTracing(api.Tracing{TracerProvider: consumerTP, Propagator: w3c}))
	defer consumer.Close()
	for _, s := range []*api.STOMP{producer, consumer} {
		if err := s.Connect(host, port); err != nil {
			fmt.Println(err)
			return
		}
	}
	handled := make(chan struct{})
	consumer.OnMessageIn(func(e *api.MessageInEvent) {
		_, span := consumerTP.Tracer("orders").Start(e.Context(), "store order")
		// ... the handler's work, traced ...
		span.End()
		close(handled)
	})
	if _, err := consumer.Subscribe("/queue/orders", false); err != nil {
		fmt.Println(err)
		return
	}
	if err := producer.SendMessageContext(context.Background(), "/queue/orders", "1 pizza"); err != nil {
		fmt.Println(err)
		return
	}
	<-handled
	_ = consumer.Disconnect() // the handler's span has ended: so has the consumer span

	send := producerSpans.Ended()[0]
	for _, s := range consumerSpans.Ended() {
		fmt.Printf("%s (%s)\n", s.Name(), s.SpanKind())
	}
	process := consumerSpans.Ended()[1]
	fmt.Printf("%s (%s)\n", send.Name(), send.SpanKind())
	fmt.Println("one trace:", process.SpanContext().TraceID() == send.SpanContext().TraceID())
	fmt.Println("the consumer's parent is the producer:", process.Parent().SpanID() == send.SpanContext().SpanID())
	fmt.Println("the handler's span is the consumer's child:", consumerSpans.Ended()[0].Parent().SpanID() == process.SpanContext().SpanID())
	// Output:
	// store order (internal)
	// process /queue/orders (consumer)
	// send /queue/orders (producer)
	// one trace: true
	// the consumer's parent is the producer: true
	// the handler's span is the consumer's child: true
}
