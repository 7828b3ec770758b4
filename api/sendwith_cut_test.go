package api

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// cutAtSend is a plan that drops the first connection as its nth SEND
// reaches the broker.
func cutAtSend(nth int) sim.Plan {
	return sim.Plan{{Name: "cut", Kind: sim.DropConn, Conn: 1, Dir: sim.ToServer, OnCommand: frames.CmdSend, Nth: nth}}
}

// With AtLeastOnce, Send and SendAsync keep each message, its own headers
// included, in the outbox until its RECEIPT, and send it again after a
// cut: every message whose call succeeded arrives, with its own headers.
func TestSendAtLeastOnceThroughACut(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run("async="+strconv.FormatBool(async), func(t *testing.T) {
			const n = 20
			b := newBroker(t, sim.WithPlan(cutAtSend(5)))
			s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true}),
				WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
			outcomes := make(chan error, n)
			for i := range n {
				opts := SendOptions{Headers: []Header{{Key: "x-seq", Value: strconv.Itoa(i)}}, ContentType: "text/x-seq"}
				body := []byte(strconv.Itoa(i))
				if async {
					require.NoError(t, s.SendAsync(context.Background(), "/queue/send-cut", body, opts, func(err error) { outcomes <- err }))
				} else {
					outcomes <- s.Send(context.Background(), "/queue/send-cut", body, opts)
				}
			}
			for range n {
				require.NoError(t, recv(t, outcomes))
			}
			require.EqualValues(t, 1, s.Stats().Reconnects, "the plan cut no connection")

			c := connectTo(t, b, "1.2")
			got := collect(c.OnMessageIn)
			_, err := c.Subscribe("/queue/send-cut", false)
			require.NoError(t, err)
			seen := map[string]bool{}
			for len(seen) < n {
				m := recv(t, got)
				assert.Equal(t, m.Text(), headerValue(m.Headers, "x-seq"), "a message arrived with another's header")
				assert.Equal(t, "text/x-seq", m.ContentType)
				seen[m.Text()] = true
			}
		})
	}
}

// An at-least-once message that names a transaction is refused, as with
// SendData: resent alone it would leave its transaction.
func TestSendAtLeastOnceRefusesATransaction(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true}))
	require.NoError(t, s.BeginTransaction("t1"))
	err := s.Send(context.Background(), "/queue/tx", []byte("x"), SendOptions{TransactionID: "t1"})
	require.ErrorIs(t, err, ErrInvalidArgument)
	require.ErrorContains(t, err, "transaction")
	err = s.SendAsync(context.Background(), "/queue/tx", []byte("x"), SendOptions{TransactionID: "t1"}, nil)
	require.ErrorIs(t, err, ErrInvalidArgument)
}

// With tracing, a message sent with Send carries its span's context, and
// one whose options carry a traceparent keeps it, the span linking to it.
func TestSendIsTraced(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	tp, sr := recorded(t)
	s := connectTo(t, b, "1.2", WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}))
	require.NoError(t, s.Send(context.Background(), "/queue/traced", []byte("x"), SendOptions{Headers: []Header{{Key: "correlation-id", Value: "c1"}}}))
	own := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	require.NoError(t, s.Send(context.Background(), "/queue/traced", []byte("y"), SendOptions{Headers: []Header{{Key: "traceparent", Value: own}}}))
	spans := ended(t, sr, 2)
	waitFor(t, "two SENDs", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 2 })
	sends := received(t, b, 1, frames.CmdSend)

	first := spans[0]
	assert.Equal(t, "send /queue/traced", first.Name())
	assert.Equal(t, trace.SpanKindProducer, first.SpanKind())
	assert.Contains(t, sends[0].Header("traceparent"), first.SpanContext().SpanID().String())
	assert.Equal(t, "c1", sends[0].Header("correlation-id"))

	assert.Equal(t, own, sends[1].Header("traceparent"), "the message's own traceparent was replaced")
	require.Len(t, spans[1].Links(), 1)
	assert.Equal(t, "b7ad6b7169203331", spans[1].Links()[0].SpanContext.SpanID().String())
}

// With Timeout 0, Send is queued behind the calls queued before it, as
// SendData is (here the BEGIN of its transaction), with a body of its own:
// the caller's slice is theirs again once Send returned.
func TestSendWithTimeoutZeroFollowsTheCallsQueuedBeforeIt(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	require.NoError(t, s.SetTimeout(0))
	errs := collect(s.OnError)
	receipts := collect(s.OnReceiptIn)
	require.NoError(t, s.BeginTransaction("t0"))
	body := []byte("queued")
	require.NoError(t, s.Send(context.Background(), "/queue/t0", body, SendOptions{TransactionID: "t0", Headers: []Header{{Key: "correlation-id", Value: "c0"}}}))
	copy(body, "CHANGED")
	require.NoError(t, s.CommitTransaction("t0"))
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/marker", "m")) // its RECEIPT: the broker has every frame before it
	recv(t, receipts)
	var got []string
	for _, f := range received(t, b, 1, frames.CmdBegin) {
		got = append(got, "BEGIN "+f.Header("transaction"))
	}
	for _, f := range received(t, b, 1, frames.CmdSend) {
		got = append(got, f.Header("destination")+" "+f.Header("transaction")+" "+f.Header("correlation-id")+" "+string(f.Body))
	}
	assert.Equal(t, []string{"BEGIN t0", "/queue/t0 t0 c0 queued", "/queue/marker   m"}, got)
	assert.Empty(t, errs)
}
