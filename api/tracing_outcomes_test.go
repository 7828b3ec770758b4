package api

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// traceparent is the header value of a span's context.
func traceparent(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}

// An at-least-once message's span ends at its RECEIPT, not when it is
// queued, and stays one span when the message is written again after a
// lost connection: the broker withholds the first connection's RECEIPT,
// the connection is cut, the client resends on the next one, that
// RECEIPT comes, and only then does the span end, once, with the same
// context in both SENDs.
func TestTracingAtLeastOnceSpanEndsAtItsReceipt(t *testing.T) {
	for _, mode := range []string{"async", "sync"} {
		t.Run(mode, func(t *testing.T) {
			b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "lost receipt", Kind: sim.WithholdReceipt, Conn: 1}}))
			tp, sr := recorded(t)
			s := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}),
				WithReconnect(Reconnect{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))
			done := make(chan error, 1)
			endedBeforeDone := make(chan int, 1)
			switch mode {
			case "async":
				require.NoError(t, s.SendDataAsync(context.Background(), "/queue/alo", []byte("once"), func(err error) {
					endedBeforeDone <- len(sr.Ended())
					done <- err
				}))
			case "sync":
				_, err := s.Config("AtLeastOnce=true")
				require.NoError(t, err)
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				// The wait ends first, after the outbox took the
				// message: no RECEIPT before the deadline (not
				// ErrTimeout, which says nothing was written); the
				// message stays in the outbox and is resent below.
				require.ErrorIs(t, s.SendMessageContext(ctx, "/queue/alo", "once"), ErrReceiptTimeout)
			}
			waitFor(t, "the broker to withhold the RECEIPT", func() bool { return len(b.FaultEvents()) == 1 })
			assert.Empty(t, sr.Ended(), "no RECEIPT yet: the span is open")
			first := waitFrame(t, b, 1, frames.CmdSend)

			require.NoError(t, b.CloseConnection(1))
			second := waitFrame(t, b, 2, frames.CmdSend)
			if mode == "async" {
				require.NoError(t, recv(t, done))
				assert.Equal(t, 1, recv(t, endedBeforeDone), "the span ends before done runs")
			}
			span := ended(t, sr, 1)[0]
			t.Log(describe(span))
			assert.Equal(t, "send /queue/alo", span.Name())
			assert.Equal(t, codes.Unset, span.Status().Code, "confirmed")
			assert.Equal(t, traceparent(span.SpanContext()), first.Header("traceparent"))
			assert.Equal(t, first.Header("traceparent"), second.Header("traceparent"), "one span per message, not per write")
			d, _ := b.Destination("/queue/alo")
			assert.EqualValues(t, 2, d.Enqueued, "the broker had the first SEND; the resend is a copy")
		})
	}
}

// A send that fails records the error on its span.
func TestTracingRecordsSendErrors(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "no receipt", Kind: sim.WithholdReceipt}}))
	tp, sr := recorded(t)
	s := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}),
		WithRequestReceipts(true), WithTimeout(time.Second))
	require.ErrorIs(t, s.SendMessage("/queue/r", "x"), ErrReceiptTimeout)
	span := ended(t, sr, 1)[0]
	t.Log(describe(span))
	assert.Equal(t, codes.Error, span.Status().Code)
	assert.Contains(t, span.Status().Description, "receipt")
	assert.Equal(t, "301", attrs(span)["error.type"].AsString())
	require.Len(t, span.Events(), 1)
	assert.Equal(t, "exception", span.Events()[0].Name)
}

// A refused message (Ack false, or Nack in the handler) and a handler
// that panics are recorded on the consumer span; an accepted one is not.
func TestTracingRecordsNacksAndPanics(t *testing.T) {
	b := newBroker(t)
	tp, sr := recorded(t)
	pub := connectTo(t, b, "1.2")
	sub := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}))
	handled := make(chan string, 16)
	_, err := sub.SubscribeWith(context.Background(), "/queue/refuse", SubscribeOptions{AckMode: AckClientIndividual, Handler: func(e *MessageInEvent) {
		handled <- e.Text()
		switch {
		case e.Redelivered: // the broker redelivers refused messages: accept them
		case e.Text() == "nack":
			e.Ack = false
		case e.Text() == "panic":
			panic("handler bug")
		}
	}})
	require.NoError(t, err)
	_, err = sub.SubscribeWith(context.Background(), "/queue/manual", SubscribeOptions{AckMode: AckClientIndividual, ManualAck: true,
		Handler: func(e *MessageInEvent) {
			if e.Redelivered {
				assert.NoError(t, sub.Ack(context.Background(), e))
			} else {
				assert.NoError(t, sub.Nack(context.Background(), e))
			}
			handled <- "manual"
		}})
	require.NoError(t, err)
	for _, m := range []string{"nack", "panic"} {
		require.NoError(t, pub.SendMessage("/queue/refuse", m))
		recv(t, handled)
		recv(t, handled) // redelivered
	}
	require.NoError(t, pub.SendMessage("/queue/manual", "manual"))
	recv(t, handled)
	recv(t, handled)

	// In the order the handlers started: a span ends after its handler
	// told the test it ran, so the last of one message may end after the
	// next message's first.
	spans := ended(t, sr, 6)
	slices.SortFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	for _, s := range spans {
		t.Log(describe(s), s.Status(), s.Events())
	}
	nack, nackAgain, panicked, panicAgain, manual, manualAgain := spans[0], spans[1], spans[2], spans[3], spans[4], spans[5]
	for _, s := range []sdktrace.ReadOnlySpan{nack, manual} {
		assert.Equal(t, codes.Error, s.Status().Code)
		require.Len(t, s.Events(), 1)
		assert.Equal(t, "nack", s.Events()[0].Name)
	}
	assert.Equal(t, codes.Error, panicked.Status().Code)
	assert.Contains(t, panicked.Status().Description, "handler bug")
	assert.Equal(t, "900", attrs(panicked)["error.type"].AsString())
	var names []string
	for _, e := range panicked.Events() {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"nack", "exception"}, names)
	for _, s := range []sdktrace.ReadOnlySpan{nackAgain, panicAgain, manualAgain} {
		assert.Equal(t, codes.Unset, s.Status().Code)
		assert.Empty(t, s.Events())
	}
}

// A message that carries a trace context of the caller's own keeps it:
// the producer span links to it, and the consumer is its child.
func TestTracingKeepsTheCallersOwnContext(t *testing.T) {
	b := newBroker(t)
	ptp, psr := recorded(t)
	ctp, csr := recorded(t)
	pub := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: ptp, Propagator: w3c}))
	sub := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: ctp, Propagator: w3c}))
	handled := make(chan struct{}, 1)
	_, err := sub.SubscribeWith(context.Background(), "/queue/own", SubscribeOptions{Handler: func(*MessageInEvent) { handled <- struct{}{} }})
	require.NoError(t, err)
	const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	require.NoError(t, pub.AddHeader("traceparent", own))
	require.NoError(t, pub.SendMessage("/queue/own", "x"))
	recv(t, handled)
	send, process := ended(t, psr, 1)[0], ended(t, csr, 1)[0]
	assert.Equal(t, own, waitFrame(t, b, 1, frames.CmdSend).Header("traceparent"))
	require.Len(t, send.Links(), 1)
	assert.Equal(t, own, traceparent(send.Links()[0].SpanContext))
	assert.Equal(t, "b7ad6b7169203331", process.Parent().SpanID().String())
}

// hostileProp injects headers no STOMP frame may carry beside two that
// are fine (one holds a backslash, which a 1.0 connection leaves out).
type hostileProp struct{}

func (hostileProp) Inject(_ context.Context, c propagation.TextMapCarrier) {
	for k, v := range map[string]string{
		"content-length": "0", "receipt": "r-1", "destination": "/queue/elsewhere",
		"x-bad\nname": "v", "x-colon:name": "v", "": "v",
		"x-lf": "a\nb", "x-cr": "a\rb", "x-nul": "a\x00b",
		"x-ok": `fine:yes\`, "x-plain": "fine:yes",
	} {
		c.Set(k, v)
	}
}
func (hostileProp) Extract(ctx context.Context, _ propagation.TextMapCarrier) context.Context {
	return ctx
}
func (hostileProp) Fields() []string { return nil }

// What a propagator writes that a frame cannot carry, or that would
// replace one of the client's own headers, is left out; the message goes.
func TestTracingLeavesOutHeadersAFrameCannotCarry(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t)
			tp, _ := recorded(t)
			s := connectTo(t, b, v, WithTracing(Tracing{TracerProvider: tp, Propagator: hostileProp{}}))
			require.NoError(t, s.SendMessage("/queue/hostile", "body"))
			f := waitFrame(t, b, 1, frames.CmdSend)
			ok := `fine:yes\`
			if v == "1.0" {
				ok = "" // a backslash on 1.0: left out, brokers would decode it
			}
			assert.Equal(t, ok, f.Header("x-ok"))
			assert.Equal(t, "fine:yes", f.Header("x-plain"))
			assert.Equal(t, "/queue/hostile", f.Header("destination"))
			assert.False(t, f.Headers.Has("receipt"))
			assert.Equal(t, "body", string(f.Body))
			for _, k := range []string{"x-lf", "x-cr", "x-nul", "x-bad\nname", "x-colon:name", "x-colon"} {
				assert.False(t, f.Headers.Has(k), k)
			}
			d, _ := b.Destination("/queue/hostile")
			assert.EqualValues(t, 1, d.Enqueued)
		})
	}
}

// server.address and server.port name the broker the connection dialed:
// after a failover, the other one.
func TestTracingNamesTheBrokerAfterFailover(t *testing.T) {
	first, second := newBroker(t), newBroker(t)
	tp, sr := recorded(t)
	statuses := make(chan *ConnectionStatusEvent, 64)
	s := newClient(t, WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}), WithFailoverServers(second.Addr()),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) { statuses <- e })
	h, p := hostPort(t, first.Addr())
	require.NoError(t, s.Connect(h, p))
	require.NoError(t, s.SendMessage("/queue/where", "first"))
	require.NoError(t, first.Close())
	for e := recv(t, statuses); e.ConnectionEvent != "reconnected"; e = recv(t, statuses) {
	}
	require.NoError(t, s.SendMessage("/queue/where", "second"))
	spans := ended(t, sr, 2)
	for i, b := range []*sim.Broker{first, second} {
		host, port := hostPort(t, b.Addr())
		assert.Equal(t, host, attrs(spans[i])["server.address"].AsString())
		assert.EqualValues(t, port, attrs(spans[i])["server.port"].AsInt64(), "span %d", i)
	}
}

// A traced handler that ends its goroutine (t.FailNow) still ends its
// "process" span, failed, as a panicking one does (review 7: the span was
// never ended nor exported).
func TestATracedHandlerThatEndsItsGoroutineEndsItsSpan(t *testing.T) {
	b := newBroker(t)
	tp, sr := recorded(t)
	s := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: tp}))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	handled := make(chan string, 2)
	first := true
	_, err := s.SubscribeWith(ctx, "/queue/traced", SubscribeOptions{Handler: func(e *MessageInEvent) {
		if first {
			first = false
			runtime.Goexit()
		}
		handled <- string(e.Data)
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"first", "second"} {
		if err := s.SendMessageContext(ctx, "/queue/traced", m); err != nil {
			t.Fatal(err)
		}
	}
	if got := recv(t, handled); got != "second" {
		t.Fatalf("handled %q", got)
	}
	process := func() int {
		n := 0
		for _, sp := range sr.Ended() {
			if strings.HasPrefix(sp.Name(), "process ") {
				n++
			}
		}
		return n
	}
	waitFor(t, "both process spans to end", func() bool { return process() >= 2 })
}
