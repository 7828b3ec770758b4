package api

import (
	"context"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
)

// Tracing turns on OpenTelemetry tracing of messages (see WithTracing).
type Tracing struct {
	// TracerProvider makes the client's tracer. Default: the global one,
	// otel.GetTracerProvider(), which records nothing until the program
	// calls otel.SetTracerProvider.
	TracerProvider trace.TracerProvider
	// Propagator writes the trace context into the headers of every SEND
	// and reads it from every MESSAGE. Default: the global one,
	// otel.GetTextMapPropagator(), which carries nothing until the program
	// calls otel.SetTextMapPropagator (with propagation.TraceContext{}
	// for W3C traceparent and tracestate headers, say).
	Propagator propagation.TextMapPropagator
}

// WithTracing traces every message the client sends and every message
// handler it runs, after OpenTelemetry's messaging conventions. Default
// off: nothing is traced, and a message costs nothing more.
//
// Each SendMessage, SendData, SendMessageAsync and SendDataAsync (and so
// each at-least-once message) is a span of kind PRODUCER named
// "send DESTINATION", a child of the span in the call's context (the
// Context twins'; a new trace for the others). It ends when the call
// returns; for a send that does not wait (Timeout 0), when the send left
// to run after the call returned has written the message (and had its
// RECEIPT, with RequestReceipts) or failed, the failure OnError reports;
// for an at-least-once message, when its RECEIPT (or failure) comes: once
// per message, however often it was written again after a lost
// connection. Its context goes out in the
// message's headers through the Propagator (traceparent and tracestate
// with propagation.TraceContext{}), escaped like every header; a message
// that already carries a valid one of its own (AddHeader) keeps it, and
// the span links to it. On a STOMP 1.0 connection a trace header whose
// value holds a backslash (a tracestate, say) is left out: 1.0 has no
// escapes, but ActiveMQ decodes 1.1's there (`\c` arrives as a colon),
// and RabbitMQ closes the connection at what it reads as an unknown
// escape (`\y`), so the value would arrive changed, or the message not
// at all. The trace id and the parent still cross
// (traceparent holds no backslash); only that vendor state is lost.
// RabbitMQ also escapes a colon in the MESSAGE frames of 1.0 (`a:b`
// arrives as `a\cb`), which the receiving client cannot undo. An
// at-least-once message keeps the headers it was first given when a
// reconnect writes it again, but the 1.0 rule follows the connection each
// copy is written on: one queued while the client reconnects, or written
// again after a failover, leaves such a header out on a 1.0 broker and
// carries it on a 1.1 or 1.2 one.
//
// Each call of a MessageIn handler is a span of kind CONSUMER named
// "process DESTINATION", whose parent is the context the message carries
// (the producer's span, across processes and brokers: the messaging
// conventions allow this for one message handled in a callback) and
// which links to it too; a message without one, or with a malformed one,
// starts a new trace. The handler reaches it with
// MessageInEvent.Context, to start spans of its own; the context also
// holds the message's baggage when the Propagator carries baggage.
//
// Each message that Receive returns (a Pull subscription's) is a span of
// kind CONSUMER named "receive DESTINATION", from the call to its return:
// a pull is the caller's operation, so its parent is the span in
// Receive's context, and it links to the context the message carries
// (the producer's span). The event's Context holds it, with the baggage
// the message carried. A Receive that returns no message records nothing.
//
// Every span carries messaging.system "stomp", messaging.operation.name
// and messaging.operation.type ("send", "process" or "receive"),
// messaging.destination.name, messaging.message.body.size, and
// server.address and server.port (the broker the connection dialed);
// "process" and "receive" spans also messaging.message.id (the message-id
// header) and
// messaging.destination.subscription.name (the subscription's id). A
// failed send sets the span's status to Error with an exception event and
// error.type, the error's Code ("301" for a missing RECEIPT). A handler
// that panics does the same; a message the handler refuses (a NACK: Ack
// false, or Nack during the handler) adds an event "nack" and sets the
// status to Error.
func WithTracing(t Tracing) Option {
	return optionFunc(func(c *config) { c.tracer = newTracer(t) })
}

// Attribute keys and values of the messaging conventions.
const (
	attrSystem       = attribute.Key("messaging.system")
	attrOpName       = attribute.Key("messaging.operation.name")
	attrOpType       = attribute.Key("messaging.operation.type")
	attrDestination  = attribute.Key("messaging.destination.name")
	attrSubscription = attribute.Key("messaging.destination.subscription.name")
	attrMessageID    = attribute.Key("messaging.message.id")
	attrBodySize     = attribute.Key("messaging.message.body.size")
	attrServerAddr   = attribute.Key("server.address")
	attrServerPort   = attribute.Key("server.port")
	attrErrorType    = attribute.Key("error.type")

	opSend    = "send"
	opProcess = "process"
	opReceive = "receive"
	// eventNack is the name of the span event of a refused message.
	eventNack = "nack"
)

// tracerName is the instrumentation scope of the client's spans.
var tracerName = modulePath + "/api"

// tracer is a client's tracing: nil when tracing is off.
type tracer struct {
	t    trace.Tracer
	prop propagation.TextMapPropagator
	// fields are the headers prop sets (its Fields, asked once), which
	// the outbox leaves out of a 1.0 transmission when their value holds
	// a backslash (startReliable).
	fields []string
	// late counts the goroutines that end a synchronous at-least-once
	// send's span once its outcome comes, its caller gone (Close waits).
	late lateSpans
}

// lateSpans counts goroutines, and tells when none runs. Unlike a
// WaitGroup, it may be waited on while goroutines are added.
type lateSpans struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n falls to 0; made by a waiter
}

func (l *lateSpans) add() {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
}

func (l *lateSpans) done() {
	l.mu.Lock()
	l.n--
	if l.n == 0 && l.idle != nil {
		close(l.idle)
		l.idle = nil
	}
	l.mu.Unlock()
}

// wait returns once none runs, or with ctx's error when ctx ends first.
func (l *lateSpans) wait(ctx context.Context) error {
	l.mu.Lock()
	if l.n == 0 {
		l.mu.Unlock()
		return nil
	}
	if l.idle == nil {
		l.idle = make(chan struct{})
	}
	idle := l.idle
	l.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newTracer(t Tracing) *tracer {
	tp, prop := t.TracerProvider, t.Propagator
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	var opts []trace.TracerOption
	if v := moduleVersion(); v != "" {
		opts = append(opts, trace.WithInstrumentationVersion(v))
	}
	return &tracer{t: tp.Tracer(tracerName, opts...), prop: prop, fields: prop.Fields()}
}

// moduleVersion is this module's version in the program, or "".
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if bi.Main.Path == modulePath {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			return d.Version
		}
	}
	return ""
}

// brokerAttrs are the attributes of the broker a connection attempt
// dialed: the same for every span until the next dial.
type brokerAttrs struct {
	dial  *actors.ConnectionStatusEvent // nil: before the first dial
	attrs [3]attribute.KeyValue         // messaging.system, server.address, server.port
}

// brokerAttrs returns the attributes of the broker the connection dialed
// last (RemoteHost and RemotePort before the first dial), made once per
// dial.
func (s *STOMP) brokerAttrs() *brokerAttrs {
	dial := s.dialed.Load()
	if b := s.broker.Load(); b != nil && b.dial == dial {
		return b
	}
	b := &brokerAttrs{dial: dial}
	host, port, ok := "", 0, false
	if dial != nil {
		if h, p, err := net.SplitHostPort(dial.Detail); err == nil {
			if n, err := strconv.Atoi(p); err == nil {
				host, port, ok = h, n, true
			}
		}
	}
	if !ok {
		s.mu.Lock()
		host, port = s.cfg.remoteHost, s.cfg.remotePort
		s.mu.Unlock()
	}
	b.attrs = [3]attribute.KeyValue{attrSystem.String("stomp"), attrServerAddr.String(host), attrServerPort.Int(port)}
	s.broker.Store(b)
	return b
}

// noteDial remembers the broker of a connection attempt, for the spans'
// server attributes. It keeps the engine's event: nothing is allocated.
func (s *STOMP) noteDial(ev *actors.ConnectionStatusEvent) {
	if ev.Status == "dialing" {
		s.dialed.Store(ev)
	}
}

// failed records err on span: status, exception event and error.type.
func failed(span trace.Span, err error, code int) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(attrErrorType.String(strconv.Itoa(code)))
}

// endSend ends a producer span with the outcome of its message.
func endSend(span trace.Span, err error, scrub func(string) string) {
	if err != nil {
		e := toError(err, CodeOther, scrub)
		failed(span, e, e.Code)
	}
	span.End()
}

// headerCarrier is the propagators' view of a frame's headers. What it
// sets must be a header every STOMP version can carry and not one of the
// client's own: anything else is left out, never sent broken.
type headerCarrier struct{ h *frames.Headers }

// v10Carrier is headerCarrier for a frame that goes out on a STOMP 1.0
// connection: a value that holds a backslash is left out too. 1.0 has no
// escapes, yet brokers apply 1.1's there (ActiveMQ turns `\c` into a
// colon, RabbitMQ closes the connection at an escape it does not know),
// so the value would arrive changed, or not at all: a tracestate lost
// beats one changed, and the traceparent never holds a backslash. (One
// pointer, as headerCarrier: it goes into an interface without an
// allocation.)
type v10Carrier struct{ headerCarrier }

// Set sets key to value unless value holds a backslash.
func (c v10Carrier) Set(key, value string) {
	if strings.IndexByte(value, '\\') >= 0 {
		return
	}
	c.headerCarrier.Set(key, value)
}

// Get returns the first value of key, as STOMP reads repeated headers.
func (c headerCarrier) Get(key string) string { return c.h.Value(key) }

// Set sets key to value when every version can carry it.
func (c headerCarrier) Set(key, value string) {
	if checkExtraHeader("tracing", frames.CmdSend, Header{Key: key, Value: value}) != nil {
		return
	}
	for i := 0; i < len(value); i++ {
		if value[i] == '\r' || value[i] == '\n' {
			return
		}
	}
	c.h.Set(key, value)
}

// Keys lists the header names.
func (c headerCarrier) Keys() []string {
	keys := make([]string, len(*c.h))
	for i, h := range *c.h {
		keys[i] = h.Key
	}
	return keys
}

// lentCarrier is headerCarrier for a lent message: what the propagator
// reads from it is copied, since what it keeps (a trace state, baggage)
// outlives the message's memory.
type lentCarrier struct{ headerCarrier }

func (c lentCarrier) Get(key string) string { return strings.Clone(c.headerCarrier.Get(key)) }

func (c lentCarrier) Keys() []string {
	keys := c.headerCarrier.Keys()
	for i := range keys {
		keys[i] = strings.Clone(keys[i])
	}
	return keys
}

// traceNack records on the consumer span that the handler refused its
// message, when the span is still running.
func (e *MessageInEvent) traceNack() {
	if e.aux == nil || e.aux.ctx == nil {
		return
	}
	if span := trace.SpanFromContext(e.aux.ctx); span.IsRecording() {
		span.AddEvent(eventNack)
		span.SetStatus(codes.Error, "the handler refused the message (NACK)")
	}
}

// ctxOrBackground is ctx, or context.Background() for nil.
func ctxOrBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
