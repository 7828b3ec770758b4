package api

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
)

// On STOMP 1.0, which escapes nothing, brokers still touch backslashes
// and colons in header values: ActiveMQ decodes the 1.1 escapes (`\c`
// arrives as `:`), RabbitMQ escapes a colon in MESSAGE frames (`:`
// arrives as `\c`). The client cannot undo either. A tracestate that holds
// a backslash is left out on a 1.0 connection, so that a broker cannot
// change it (a lost part beats a changed one): the trace id and the
// parent still cross, and a tracestate without one is sent as it is. On
// the simulator (which changes nothing) and every broker the test scripts
// started.
func TestTracingLeavesOutATraceStateWithABackslashOn10(t *testing.T) {
	targets := tracingTargets(t)
	if addr := os.Getenv("STOMPACTOR_ACTIVEMQ_ADDR"); addr != "" {
		targets["activemq"] = activeMQTarget(t)
	}
	for name, target := range targets {
		for _, c := range []struct {
			name, state, want string
		}{
			{"backslash", `vendor=a:b\c,other=x\y`, ""},
			{"colon", `vendor=a:b`, `vendor=a:b`},
		} {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				want := c.want
				if name == "rabbitmq" && c.name == "colon" {
					want = `vendor=a\cb` // RabbitMQ's 1.0 quirk: it escapes the colon
				}
				ptp, psr := recorded(t)
				ctp, csr := recorded(t)
				pub := target.connect(t, "1.0", WithTracing(Tracing{TracerProvider: ptp, Propagator: w3c}))
				sub := target.connect(t, "1.0", WithTracing(Tracing{TracerProvider: ctp, Propagator: w3c}))
				dest := uniqueQueue("traced-10")
				headers := make(chan []Header, 1)
				_, err := sub.SubscribeWith(context.Background(), dest, SubscribeOptions{Handler: func(e *MessageInEvent) {
					headers <- append([]Header(nil), e.Headers...)
				}})
				require.NoError(t, err)
				ts, err := trace.ParseTraceState(c.state)
				require.NoError(t, err)
				caller := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{7, 7, 7}, SpanID: trace.SpanID{3, 3, 3},
					TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
				require.NoError(t, pub.SendMessageContext(trace.ContextWithRemoteSpanContext(context.Background(), caller), dest, "x"))
				got := recv(t, headers)
				send := ended(t, psr, 1)[0]
				process := ended(t, csr, 1)[0]
				t.Log(describe(send))
				t.Log(describe(process))
				assert.Equal(t, caller.TraceID(), process.SpanContext().TraceID(), "one trace")
				assert.Equal(t, send.SpanContext().SpanID(), process.Parent().SpanID(), "the consumer's parent is the producer")
				assert.Equal(t, want, process.Parent().TraceState().String())
				var traceparent, tracestate bool
				for _, h := range got {
					traceparent = traceparent || h.Key == "traceparent"
					tracestate = tracestate || h.Key == "tracestate"
				}
				assert.True(t, traceparent, "traceparent sent: %v", got)
				assert.Equal(t, want != "", tracestate, "tracestate sent only when kept: %v", got)
			})
		}
	}
}
