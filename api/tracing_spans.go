package api

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// The spans of messages (see WithTracing). Only a client with tracing on
// reaches this file: the send and receive paths test for a tracer first.

// The span kinds' options, made once.
var (
	producerKind = trace.WithSpanKind(trace.SpanKindProducer)
	consumerKind = trace.WithSpanKind(trace.SpanKindConsumer)
)

// messagingAttrs are the attributes every span of the client carries, and
// extra, in one slice. Like every attribute known when a span starts,
// they are given to Start, so that a sampler sees them.
func (s *STOMP) messagingAttrs(op, destination string, bodySize int, extra ...attribute.KeyValue) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 7+len(extra))
	attrs = append(append(attrs, s.brokerAttrs().attrs[:]...),
		attrOpName.String(op),
		attrOpType.String(op),
		attrDestination.String(destination),
		attrBodySize.Int(bodySize))
	return append(attrs, extra...)
}

// startSend starts the producer span of f, a child of ctx's span, and
// writes the span's context into f's headers, unless f carries a valid
// context of its own (a header the caller added): that one is kept, and
// the span links to it. On a STOMP 1.0 connection (eng's, when connected)
// a value that holds a backslash is left out (see v10Carrier): the frame
// is written on the connection eng has now.
func (t *tracer) startSend(ctx context.Context, s *STOMP, eng *actors.Conn, f *frames.Frame) trace.Span {
	var carrier propagation.TextMapCarrier = headerCarrier{&f.Headers}
	if eng != nil {
		if info, ok := eng.Info(); ok && info.Version == frames.V10 {
			carrier = v10Carrier{headerCarrier{&f.Headers}}
		}
	}
	span, _ := t.start(ctx, s, f, carrier)
	return span
}

// startReliable is startSend for an at-least-once message, which the
// outbox writes on whatever connection the client has then (one it is
// reconnecting to, one it fails over to later): the headers are set
// whole, and the outbox leaves a backslash value of the propagator's
// headers out of each transmission on a 1.0 connection (cfg's
// LeaveOutOn10, set when the span's context went into them).
func (t *tracer) startReliable(ctx context.Context, s *STOMP, f *frames.Frame, cfg *sendOptions) trace.Span {
	span, injected := t.start(ctx, s, f, headerCarrier{&f.Headers})
	if injected {
		cfg.outbox.LeaveOutOn10 = t.fields
	}
	return span
}

// start starts the producer span of f and writes its context through
// carrier unless f carries a valid one of its own; injected says it did.
func (t *tracer) start(ctx context.Context, s *STOMP, f *frames.Frame, carrier propagation.TextMapCarrier) (trace.Span, bool) {
	dest := f.Header(frames.HdrDestination)
	opts := []trace.SpanStartOption{
		producerKind,
		trace.WithAttributes(s.messagingAttrs(opSend, dest, len(f.Body))...),
	}
	own := trace.SpanContextFromContext(t.prop.Extract(context.Background(), carrier))
	if own.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: own}))
	}
	ctx, span := t.t.Start(ctxOrBackground(ctx), opSend+" "+dest, opts...)
	if own.IsValid() {
		return span, false
	}
	t.prop.Inject(ctx, carrier)
	return span, true
}

// sendNow is STOMP.sendNow inside the message's producer span, which ends
// when the call returns, or, for a send left to a later call (later: see
// sendsLater), when that call ends, with its outcome (which OnError
// reports); at once if the call could not be queued.
func (t *tracer) sendNow(ctx context.Context, s *STOMP, eng *actors.Conn, f *frames.Frame, cfg sendOptions, later bool) error {
	span := t.startSend(ctx, s, eng, f)
	if !later {
		err := s.sendNow(ctx, eng, f, cfg)
		endSend(span, err, s.scrub)
		return err
	}
	var ended atomic.Bool
	end := func(err error) {
		if ended.CompareAndSwap(false, true) {
			endSend(span, err, s.scrub)
		}
	}
	cfg.outcome = end
	err := s.sendNow(ctx, eng, f, cfg)
	if err != nil {
		end(err) // not queued: the queued call never runs
	}
	return err
}

// sendReliable hands f to the outbox inside its producer span, which ends
// when the outbox answers done (the RECEIPT, or the failure), however
// often the message was written, or now when the outbox refuses it.
func (t *tracer) sendReliable(ctx context.Context, s *STOMP, eng *actors.Conn, f *frames.Frame, cfg sendOptions, done func(error)) error {
	span := t.startReliable(ctx, s, f, &cfg)
	err := eng.SendReliable(ctx, f, cfg.outbox, func(err error) {
		endSend(span, err, s.scrub)
		done(err)
	})
	if err != nil {
		endSend(span, err, s.scrub)
	}
	return s.err(err, CodeOther)
}

// receive records the receipt of m, which Receive returned as ev, in a
// span of kind CONSUMER named "receive DESTINATION" from start, when the
// caller called, to now: a child of the caller's context (a pull is the
// caller's operation), linked to the context the message carries. ev's
// Context then holds it, for the caller's own spans, with the message's
// baggage. What the span and the context keep of a lent message (its ids,
// the trace state, the baggage) is copied: they outlive it.
func (t *tracer) receive(ctx context.Context, s *STOMP, m *actors.Message, ev *MessageInEvent, start time.Time) {
	hs := m.Headers
	var carrier propagation.TextMapCarrier = headerCarrier{&hs}
	dest, id := m.Destination, m.MessageID
	if m.Lease() != nil {
		dest, id = strings.Clone(dest), strings.Clone(id)
		carrier = lentCarrier{headerCarrier{&hs}} // the trace state read from it lives in the link
	}
	carriedCtx := t.prop.Extract(context.Background(), carrier)
	carried := trace.SpanContextFromContext(carriedCtx)
	opts := []trace.SpanStartOption{
		consumerKind,
		trace.WithTimestamp(start),
		trace.WithAttributes(s.messagingAttrs(opReceive, dest, len(m.Body),
			attrMessageID.String(id), attrSubscription.String(m.Subscription))...),
	}
	if carried.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: carried}))
	}
	sctx, span := t.t.Start(ctxOrBackground(ctx), opReceive+" "+dest, opts...)
	span.End()
	if b := baggage.FromContext(carriedCtx); b.Len() > 0 {
		sctx = baggage.ContextWithBaggage(sctx, b) // the message's, as a handler's context holds it
	}
	if ev.aux == nil {
		ev.aux = &eventAux{}
	}
	ev.aux.ctx = sctx
}

// process runs the handler of ev inside its consumer span: a child of the
// context the message carries, linked to it too, or a new trace.
func (t *tracer) process(sub *subscriber, m *actors.Message, ev *MessageInEvent) actors.AckAction {
	hs := m.Headers // a copy of the list header: m stays on its caller's stack
	parent := t.prop.Extract(context.Background(), headerCarrier{&hs})
	opts := []trace.SpanStartOption{
		consumerKind,
		trace.WithAttributes(sub.s.messagingAttrs(opProcess, m.Destination, len(m.Body),
			attrMessageID.String(m.MessageID), attrSubscription.String(m.Subscription))...),
	}
	if sc := trace.SpanContextFromContext(parent); sc.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	ctx, span := t.t.Start(parent, opProcess+" "+m.Destination, opts...)
	ev.aux = &eventAux{ctx: ctx}
	returned := false
	defer func() {
		if !returned {
			// The handler ended its goroutine: the span still ends,
			// failed.
			err := newError(CodeOther, "MessageIn handler ended its goroutine (runtime.Goexit, which t.FailNow calls)")
			failed(span, err, err.Code)
			span.End()
		}
	}()
	action, failure := sub.process(ev)
	returned = true
	if ev.NeedsAck() && !sub.manualAck && !ev.Ack {
		ev.traceNack()
	}
	if failure != nil {
		failed(span, failure, failure.Code)
	}
	span.End()
	return action
}
