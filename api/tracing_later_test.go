package api

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/stompactor/stompactor/frames"
)

// The producer spans of sends that do not wait (Timeout 0: SendMessage
// returns at once and a failure reaches OnError, doc.go "Calls and
// timeouts") end when the outcome is known and record it, as WithTracing
// promises: "A failed send sets the span's status to Error".

// A send refused by the server (an ERROR for its RECEIPT) leaves its span
// with status Error and error.type, as OnError reports it.
func TestTracingRecordsTheFailureOfASendThatDoesNotWait(t *testing.T) {
	b := newBroker(t)
	tp, sr := recorded(t)
	s := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}), WithRequestReceipts(true))
	errs := collect(s.OnError)
	require.NoError(t, s.SetTimeout(0))
	require.NoError(t, s.SendMessage("/nowhere/x", "refused"), "Timeout 0: does not wait")
	e := recv(t, errs)
	t.Logf("OnError: %d %s", e.ErrorCode, e.Description)
	span := ended(t, sr, 1)[0]
	t.Log(describe(span))
	assert.Equal(t, codes.Error, span.Status().Code, "the send failed (OnError said so), the span says %v", span.Status())
	assert.Contains(t, span.Attributes(), attribute.String("error.type", "600"), "error.type is OnError's code")
}

// The span of a send that does not wait ends once its RECEIPT came, not
// when SendMessage returned (the frame may not even be written then).
func TestTracingEndsTheSpanOfASendThatDoesNotWaitWhenItsReceiptComes(t *testing.T) {
	sent := make(chan string, 1)
	release := make(chan struct{})
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil { // CONNECT
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		f, err := readFrame(d)
		if err != nil {
			return
		}
		sent <- f.Header(frames.HdrReceipt)
		<-release
		_, _ = conn.Write([]byte("RECEIPT\nreceipt-id:" + f.Header(frames.HdrReceipt) + "\n\n\x00"))
		for {
			if _, err := readFrame(d); err != nil {
				return // the client closed
			}
		}
	})
	tp, sr := recorded(t)
	s := newClient(t, WithSupportedVersions("1.2"), WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}), WithRequestReceipts(true))
	require.NoError(t, s.Connect(srv.host, srv.port))
	require.NoError(t, s.SetTimeout(0))
	require.NoError(t, s.SendMessage("/queue/later", "x"), "Timeout 0: does not wait")
	require.NotEmpty(t, recv(t, sent), "the SEND asks for a receipt")
	assert.Empty(t, spanNames(sr.Ended()), "no RECEIPT yet: the send's outcome is not known")
	close(release)
	span := ended(t, sr, 1)[0]
	assert.Equal(t, "send /queue/later", span.Name())
	assert.Equal(t, codes.Unset, span.Status().Code)
}
