package api

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
)

// A message taken with Receive is a span of kind CONSUMER named "receive
// DESTINATION": a child of the caller's context (the pull is the caller's
// operation), linked to the producer's span the message carries, which
// the event's Context holds. On a Lent subscription the span keeps its
// own copy of the message's ids: a message released, whose memory the
// next one reuses, leaves the span as it was.
func TestTracingReceiveSpans(t *testing.T) {
	for name, target := range tracingTargets(t) {
		for _, lent := range []bool{false, true} {
			label := name + "/pull"
			if lent {
				label += "-lent"
			}
			t.Run(label, func(t *testing.T) {
				ptp, psr := recorded(t)
				ctp, csr := recorded(t)
				pub := target.connect(t, "1.2", WithTracing(Tracing{TracerProvider: ptp, Propagator: w3c}))
				sub := target.connect(t, "1.2", WithTracing(Tracing{TracerProvider: ctp, Propagator: w3c}))
				dest := uniqueQueue("traced-pull")
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				id, err := sub.SubscribeWith(ctx, dest, SubscribeOptions{Pull: true, Lent: lent})
				require.NoError(t, err)
				caller := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{7}, SpanID: trace.SpanID{8},
					TraceFlags: trace.FlagsSampled, Remote: true})
				callerCtx := trace.ContextWithRemoteSpanContext(ctx, caller)
				// One at a time, so that a lent message's memory serves the
				// next ones once released.
				const n = 30
				var ids []string
				states := make([]string, n)
				for i := range n {
					// Each message's producer span has a trace state of
					// its own, which the receive span's link keeps.
					states[i] = "k=v" + strconv.Itoa(i)
					ts, err := trace.ParseTraceState(states[i])
					require.NoError(t, err)
					parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{byte(i + 1)},
						TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
					member, err := baggage.NewMember("tenant", "t"+strconv.Itoa(i))
					require.NoError(t, err)
					bag, err := baggage.New(member)
					require.NoError(t, err)
					sendCtx := baggage.ContextWithBaggage(trace.ContextWithRemoteSpanContext(ctx, parent), bag)
					require.NoError(t, pub.SendMessageContext(sendCtx, dest, "message"))
					send := ended(t, psr, i+1)[i]
					ev, err := sub.Receive(callerCtx, id)
					require.NoError(t, err)
					ids = append(ids, strings.Clone(ev.MessageID))
					_, work := ctp.Tracer("test").Start(ev.Context(), "work")
					work.End()
					spans := ended(t, csr, 2*(i+1))
					recv, w := spans[2*i], spans[2*i+1]
					if i == 0 {
						t.Log(describe(recv))
					}
					assert.Equal(t, "receive "+dest, recv.Name())
					assert.Equal(t, trace.SpanKindConsumer, recv.SpanKind())
					assert.Equal(t, caller.TraceID(), recv.SpanContext().TraceID(), "the caller's trace")
					assert.Equal(t, caller.SpanID(), recv.Parent().SpanID(), "the caller's span is the parent")
					require.Len(t, recv.Links(), 1)
					assert.Equal(t, send.SpanContext().SpanID(), recv.Links()[0].SpanContext.SpanID(), "linked to the producer")
					assert.Equal(t, recv.SpanContext().SpanID(), w.Parent().SpanID(), "Context holds the receive span")
					assert.Equal(t, "t"+strconv.Itoa(i), baggage.FromContext(ev.Context()).Member("tenant").Value(), "and the message's baggage")
					a := attrs(recv)
					assert.Equal(t, "receive", a["messaging.operation.type"].AsString())
					assert.Equal(t, dest, a["messaging.destination.name"].AsString())
					assert.Equal(t, ev.MessageID, a["messaging.message.id"].AsString())
					assert.Equal(t, id, a["messaging.destination.subscription.name"].AsString())
					ev.Release()
				}
				// Every span's ids, and its link's trace state, outlived
				// the release of its message.
				for i, s := range csr.Ended() {
					if i%2 == 0 {
						assert.Equal(t, ids[i/2], attrs(s)["messaging.message.id"].AsString(), "span %d", i/2)
						assert.Equal(t, dest, attrs(s)["messaging.destination.name"].AsString(), "span %d", i/2)
						assert.Equal(t, states[i/2], s.Links()[0].SpanContext.TraceState().String(), "span %d", i/2)
					}
				}
			})
		}
	}
}
