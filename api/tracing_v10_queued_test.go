package api

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/stompactor/stompactor/frames"
)

// (a3cbd1b) "On a STOMP 1.0 connection a trace header whose
// value holds a backslash (a tracestate, say) is left out" (WithTracing).
// startSend picks v10Carrier from the connection's version at the time of
// the call (eng.Info()), so an at-least-once message queued while the
// client reconnects (no version known yet) keeps its backslash tracestate,
// and the reconnect writes it on the 1.0 connection it lands on, where
// RabbitMQ closes the connection at it and ActiveMQ changes it.
//
// A scripted broker: the first connection is 1.1 and is dropped; the
// second CONNECT is held until the message is in the outbox, then
// answered as a 1.0 broker (no version header). The SEND it reads must
// carry no tracestate holding a backslash.
func TestAMessageQueuedWhileReconnectingLeavesOutABackslashTraceStateOn10(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	deadline := time.Now().Add(wait)

	secondConnect := make(chan net.Conn, 1)
	go func() {
		// First connection: CONNECTED 1.1, then hang up.
		c1, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c1.SetDeadline(deadline)
		d := frames.NewDecoder(c1, frames.V12, frames.DefaultLimits())
		if _, err := d.Decode(); err != nil {
			return
		}
		_, _ = c1.Write([]byte("CONNECTED\nversion:1.1\nheart-beat:0,0\n\n\x00"))
		_ = c1.Close()
		// Second: read CONNECT and hold the answer.
		c2, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c2.SetDeadline(deadline)
		secondConnect <- c2
	}()

	tp, _ := recorded(t)
	s := newClient(t, WithSupportedVersions("1.0,1.1"), WithTimeout(wait),
		WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	h, p := hostPort(t, ln.Addr().String())
	require.NoError(t, s.Connect(h, p))

	var c2 net.Conn
	select {
	case c2 = <-secondConnect:
	case <-time.After(wait):
		t.Fatal("no reconnect")
	}
	t.Cleanup(func() { _ = c2.Close() })
	d := frames.NewDecoder(c2, frames.V10, frames.DefaultLimits())
	connect, err := d.Decode()
	require.NoError(t, err)
	require.Contains(t, []frames.Command{frames.CmdConnect, frames.CmdStomp}, connect.Command)

	// The client is reconnecting: it waits for CONNECTED.
	ts, err := trace.ParseTraceState(`vendor=a:b\c,other=x\y`)
	require.NoError(t, err)
	caller := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{7, 7, 7}, SpanID: trace.SpanID{3, 3, 3},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	done := make(chan error, 1)
	require.NoError(t, s.SendMessageAsync(trace.ContextWithRemoteSpanContext(context.Background(), caller),
		"/queue/queued10", "x", func(err error) { done <- err }))

	// Now a 1.0 broker answers.
	_, err = c2.Write([]byte("CONNECTED\nsession:x\n\n\x00"))
	require.NoError(t, err)
	var send *frames.Frame
	for send == nil {
		f, err := d.Decode()
		require.NoError(t, err, "reading the SEND")
		if f.Command == frames.CmdSend {
			send = f
		}
	}
	if id := send.Header(frames.HdrReceipt); id != "" {
		_, _ = c2.Write([]byte("RECEIPT\nreceipt-id:" + id + "\n\n\x00"))
	}
	require.Equal(t, "1.0", s.ProtocolVersion())
	_, hasTP := send.Headers.Get("traceparent")
	require.True(t, hasTP, "the trace id crosses: %v", send.Headers)
	v, has := send.Headers.Get("tracestate")
	require.False(t, has, "a tracestate holding a backslash went out on STOMP 1.0: %q", v)
}

// The rule follows each transmission's connection: an at-least-once
// message first written on a 1.1 connection carries its tracestate
// whole; the connection drops before the RECEIPT, the client fails over
// to a 1.0 broker, and the message written again there leaves it out,
// the same traceparent kept.
func TestAMessageWrittenAgainOn10LeavesOutABackslashTraceState(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	deadline := time.Now().Add(wait)
	conns := make(chan net.Conn, 2)
	go func() {
		for i := 0; i < 2; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(deadline)
			conns <- c
		}
	}()
	next := func(version string) (net.Conn, *frames.Decoder) {
		t.Helper()
		var c net.Conn
		select {
		case c = <-conns:
		case <-time.After(wait):
			t.Fatal("no connection")
		}
		t.Cleanup(func() { _ = c.Close() })
		d := frames.NewDecoder(c, frames.V10, frames.DefaultLimits())
		_, err := d.Decode()
		require.NoError(t, err)
		hdr := ""
		if version != "" {
			hdr = "version:" + version + "\n"
			d.SetVersion(frames.V11) // its SENDs are escaped
		}
		_, err = c.Write([]byte("CONNECTED\n" + hdr + "heart-beat:0,0\n\n\x00"))
		require.NoError(t, err)
		return c, d
	}
	readSend := func(d *frames.Decoder) *frames.Frame {
		t.Helper()
		for {
			f, err := d.Decode()
			require.NoError(t, err, "reading the SEND")
			if f.Command == frames.CmdSend {
				return f
			}
		}
	}

	tp, _ := recorded(t)
	s := newClient(t, WithSupportedVersions("1.0,1.1"), WithTimeout(wait),
		WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	h, p := hostPort(t, ln.Addr().String())
	connected := make(chan struct{})
	go func() {
		defer close(connected)
		_ = s.Connect(h, p)
	}()
	c1, d1 := next("1.1")
	<-connected
	require.Equal(t, "1.1", s.ProtocolVersion())

	ts, err := trace.ParseTraceState(`vendor=a:b\c,other=x\y`)
	require.NoError(t, err)
	caller := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{7, 7, 7}, SpanID: trace.SpanID{3, 3, 3},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	done := make(chan error, 1)
	require.NoError(t, s.SendMessageAsync(trace.ContextWithRemoteSpanContext(context.Background(), caller),
		"/queue/queued10", "x", func(err error) { done <- err }))

	first := readSend(d1)
	v, has := first.Headers.Get("tracestate")
	require.True(t, has, "1.1 carries the tracestate: %v", first.Headers)
	require.Equal(t, `vendor=a:b\c,other=x\y`, v)
	_ = c1.Close() // no RECEIPT: the message is written again

	c2, d2 := next("")
	again := readSend(d2)
	_, has = again.Headers.Get("tracestate")
	require.False(t, has, "a tracestate holding a backslash went out on STOMP 1.0: %v", again.Headers)
	require.Equal(t, first.Header("traceparent"), again.Header("traceparent"), "the same span's context")
	_, err = c2.Write([]byte("RECEIPT\nreceipt-id:" + again.Header(frames.HdrReceipt) + "\n\n\x00"))
	require.NoError(t, err)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(wait):
		t.Fatal("no outcome")
	}
	require.Equal(t, "1.0", s.ProtocolVersion())
}
