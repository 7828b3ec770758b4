package api

// Tracing across ActiveMQ, and a message relayed from RabbitMQ to
// ActiveMQ by a handler that sends with e.Context(). README, Tracing: "the
// context crosses the broker in the message's traceparent/tracestate
// headers, so a trace follows a message from one program to another". Each
// test skips without the broker's address (scripts/brokers/up.sh; CI
// provides them).

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func activeMQTarget(t *testing.T) tracingTarget {
	t.Helper()
	addr := os.Getenv("STOMPACTOR_ACTIVEMQ_ADDR")
	if addr == "" {
		t.Skip("STOMPACTOR_ACTIVEMQ_ADDR not set (scripts/brokers/up.sh activemq)")
	}
	return tracingTarget{addr: addr, opts: []Option{WithUser(os.Getenv("STOMPACTOR_ACTIVEMQ_LOGIN")),
		WithPassword(os.Getenv("STOMPACTOR_ACTIVEMQ_PASSCODE"))}}
}

func rabbitMQTarget(t *testing.T) tracingTarget {
	t.Helper()
	addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR")
	if addr == "" {
		t.Skip("STOMPACTOR_RABBITMQ_ADDR not set (scripts/brokers/up.sh rabbitmq)")
	}
	return tracingTarget{addr: addr, opts: []Option{WithUser(os.Getenv("STOMPACTOR_RABBITMQ_LOGIN")),
		WithPassword(os.Getenv("STOMPACTOR_RABBITMQ_PASSCODE")), WithVirtualHost("/")}}
}

// Through ActiveMQ, on every STOMP version: the consumer span is the
// producer's child, and the caller's trace state arrives as it was sent,
// or, on STOMP 1.0, not at all: ActiveMQ decodes the 1.1 escapes there
// too (`\c` became `:`), so the client leaves out a tracestate that holds
// a backslash rather than have it arrive changed.
func TestTracingThroughActiveMQ(t *testing.T) {
	amq := activeMQTarget(t)
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			ptp, psr := recorded(t)
			ctp, csr := recorded(t)
			pub := amq.connect(t, v, WithTracing(Tracing{TracerProvider: ptp, Propagator: w3c}))
			sub := amq.connect(t, v, WithTracing(Tracing{TracerProvider: ctp, Propagator: w3c}))
			dest := uniqueQueue("traced-amq")
			handled := make(chan struct{}, 1)
			_, err := sub.SubscribeWith(context.Background(), dest, SubscribeOptions{Handler: func(e *MessageInEvent) { handled <- struct{}{} }})
			require.NoError(t, err)
			ts, err := trace.ParseTraceState(`vendor=a:b\c`)
			require.NoError(t, err)
			caller := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9, 8, 7}, SpanID: trace.SpanID{6, 5, 4},
				TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
			require.NoError(t, pub.SendMessageContext(trace.ContextWithRemoteSpanContext(context.Background(), caller), dest, "x"))
			recv(t, handled)
			send := ended(t, psr, 1)[0]
			process := ended(t, csr, 1)[0]
			t.Log(describe(send))
			t.Log(describe(process))
			assert.Equal(t, caller.TraceID(), process.SpanContext().TraceID(), "one trace")
			assert.Equal(t, send.SpanContext().SpanID(), process.Parent().SpanID(), "the consumer's parent is the producer")
			want := `vendor=a:b\c`
			if v == "1.0" {
				want = "" // left out: ActiveMQ would have changed it
			}
			assert.Equal(t, want, process.Parent().TraceState().String(), "tracestate crossed ActiveMQ")
		})
	}
}

// A message sent to RabbitMQ, handled by a relay that sends it on to
// ActiveMQ from its handler's context, and handled there: one trace,
// producer -> process -> send -> process.
func TestTracingRelayedFromRabbitMQToActiveMQ(t *testing.T) {
	rmq, amq := rabbitMQTarget(t), activeMQTarget(t)
	ptp, psr := recorded(t)
	rtp, rsr := recorded(t)
	ctp, csr := recorded(t)
	pub := rmq.connect(t, "1.2", WithTracing(Tracing{TracerProvider: ptp, Propagator: w3c}))
	relayIn := rmq.connect(t, "1.2", WithTracing(Tracing{TracerProvider: rtp, Propagator: w3c}))
	relayOut := amq.connect(t, "1.2", WithTracing(Tracing{TracerProvider: rtp, Propagator: w3c}))
	sub := amq.connect(t, "1.2", WithTracing(Tracing{TracerProvider: ctp, Propagator: w3c}))
	in, out := uniqueQueue("relay-in"), uniqueQueue("relay-out")
	relayed := make(chan error, 1)
	_, err := relayIn.SubscribeWith(context.Background(), in, SubscribeOptions{Handler: func(e *MessageInEvent) {
		relayed <- relayOut.SendDataContext(e.Context(), out, e.Data)
	}})
	require.NoError(t, err)
	handled := make(chan struct{}, 1)
	_, err = sub.SubscribeWith(context.Background(), out, SubscribeOptions{Handler: func(e *MessageInEvent) { handled <- struct{}{} }})
	require.NoError(t, err)
	require.NoError(t, pub.SendData(in, []byte("hop")))
	require.NoError(t, recv(t, relayed))
	recv(t, handled)
	first := ended(t, psr, 1)[0]
	relaySpans := ended(t, rsr, 2) // send (ends first), then process
	final := ended(t, csr, 1)[0]
	var relaySend, relayProcess = relaySpans[0], relaySpans[1]
	for _, s := range append([]sdktrace.ReadOnlySpan{first}, relaySend, relayProcess, final) {
		t.Log(describe(s))
	}
	id := first.SpanContext().TraceID()
	for _, s := range []sdktrace.ReadOnlySpan{relaySend, relayProcess, final} {
		assert.Equal(t, id, s.SpanContext().TraceID(), "%s: the first message's trace", s.Name())
	}
	assert.Equal(t, first.SpanContext().SpanID(), relayProcess.Parent().SpanID())
	assert.Equal(t, relayProcess.SpanContext().SpanID(), relaySend.Parent().SpanID())
	assert.Equal(t, relaySend.SpanContext().SpanID(), final.Parent().SpanID())
}
