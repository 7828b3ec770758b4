package api

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// Two goroutines send at once, each with its own correlation-id, reply-to
// and transaction: at the broker every SEND carries its own sender's and
// none of the other's, beside the client-wide custom header (which a
// message's own header of the same key replaces). Only the committed
// transaction's messages are then delivered.
func TestSendOptionsOfConcurrentSendersNeverMix(t *testing.T) {
	const n = 100
	b := newBroker(t, sim.WithFrameLog(4*n))
	s := connectTo(t, b, "1.2", WithHeader("x-app", "billing"), WithHeader("x-shared", "client"), WithContentType("text/x-client"))
	require.NoError(t, s.BeginTransaction("tx-a"))
	require.NoError(t, s.BeginTransaction("tx-b"))
	dest := "/queue/send-options-mix"
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, who := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				errs <- s.Send(context.Background(), dest, []byte(fmt.Sprintf("%s-%d", who, i)), SendOptions{
					Headers: []Header{
						{Key: "correlation-id", Value: "corr-" + who},
						{Key: "reply-to", Value: "/queue/reply-" + who},
						{Key: "x-shared", Value: "message-" + who},
					},
					TransactionID: "tx-" + who,
				})
			}
		}()
	}
	wg.Wait()
	for range 2 * n {
		require.NoError(t, recv(t, errs))
	}
	waitFor(t, "every SEND at the broker", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 2*n })
	for _, f := range received(t, b, 1, frames.CmdSend) {
		who, _, ok := strings.Cut(string(f.Body), "-")
		require.True(t, ok, "body %q", f.Body)
		assert.Equal(t, []string{"corr-" + who}, f.Headers.Values("correlation-id"), "%s", f.Body)
		assert.Equal(t, []string{"/queue/reply-" + who}, f.Headers.Values("reply-to"), "%s", f.Body)
		assert.Equal(t, []string{"tx-" + who}, f.Headers.Values("transaction"), "%s", f.Body)
		assert.Equal(t, []string{"message-" + who}, f.Headers.Values("x-shared"), "the message's own header wins: %s", f.Body)
		assert.Equal(t, []string{"billing"}, f.Headers.Values("x-app"), "%s", f.Body)
		assert.Equal(t, []string{"text/x-client"}, f.Headers.Values("content-type"), "%s", f.Body)
	}

	got := collect(s.OnMessageIn)
	_, err := s.Subscribe(dest, false)
	require.NoError(t, err)
	require.NoError(t, s.AbortTransaction("tx-b"))
	require.NoError(t, s.CommitTransaction("tx-a"))
	require.NoError(t, s.SendMessage(dest, "end"))
	var bodies []string
	for m := recv(t, got); m.Text() != "end"; m = recv(t, got) {
		bodies = append(bodies, m.Text())
		assert.Equal(t, "corr-a", headerValue(m.Headers, "correlation-id"))
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("a-%d", i)
	}
	assert.ElementsMatch(t, want, bodies, "only the committed transaction's messages arrive")
}

// A message's content type replaces the client's, and Send reads no
// TransactionID property: a transaction another goroutine set client-wide
// never catches a message sent with Send.
func TestSendOptionsContentTypeAndTransaction(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2", WithContentType("text/x-client"))
	require.NoError(t, s.BeginTransaction("client-wide"))
	require.NoError(t, s.SetTransactionID("client-wide"))
	ctx := context.Background()
	require.NoError(t, s.Send(ctx, "/queue/ct", []byte("1"), SendOptions{ContentType: "application/json"}))
	require.NoError(t, s.Send(ctx, "/queue/ct", []byte("2"), SendOptions{Headers: []Header{{Key: "content-type", Value: "text/csv"}}}))
	require.NoError(t, s.Send(ctx, "/queue/ct", []byte("3"), SendOptions{}))
	require.NoError(t, s.SetTransactionID(""))
	// A client-wide custom content-type is replaced too.
	require.NoError(t, s.AddHeader("content-type", "text/x-custom"))
	require.NoError(t, s.Send(ctx, "/queue/ct", []byte("4"), SendOptions{ContentType: "application/xml"}))
	waitFor(t, "four SENDs", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 4 })
	sends := received(t, b, 1, frames.CmdSend)
	assert.Equal(t, []string{"application/json"}, sends[0].Headers.Values("content-type"))
	assert.Equal(t, []string{"text/csv"}, sends[1].Headers.Values("content-type"))
	assert.Equal(t, []string{"text/x-client"}, sends[2].Headers.Values("content-type"), "no option: the client's")
	assert.Equal(t, []string{"application/xml"}, sends[3].Headers.Values("content-type"))
	for _, f := range sends {
		assert.False(t, f.Headers.Has("transaction"), "Send joined the client-wide transaction: %s", f.Body)
	}
}

// Send refuses what AddHeader refuses, with the same typed error naming
// the header, connected or not, and nothing reaches the broker.
func TestSendOptionsAreCheckedLikeAddHeader(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	idle := newClient(t)
	ctx := context.Background()
	for _, key := range ownHeaderNames {
		t.Run(key, func(t *testing.T) {
			addErr := s.AddHeader(key, "x")
			requireRefused(t, addErr, key)
			for _, c := range []*STOMP{s, idle} {
				err := c.Send(ctx, "/queue/refused", []byte("x"), SendOptions{Headers: []Header{{Key: key, Value: "x"}}})
				requireRefused(t, err, key)
				assert.Contains(t, err.Error(), "set by the client")
				requireRefused(t, c.SendAsync(ctx, "/queue/refused", []byte("x"), SendOptions{Headers: []Header{{Key: key, Value: "x"}}}, nil), key)
			}
		})
	}
	err := s.Send(ctx, "/queue/refused", nil, SendOptions{Headers: []Header{{Key: "transaction", Value: "t1"}}})
	assert.Contains(t, err.Error(), "SendOptions.TransactionID")
	for _, tt := range []struct {
		name, header string
		opts         SendOptions
	}{
		{"name with NUL", "x\\x00y", SendOptions{Headers: []Header{{Key: "x\x00y", Value: "v"}}}},
		{"value with NUL", `"x"`, SendOptions{Headers: []Header{{Key: "x", Value: "a\x00b"}}}},
		{"name with colon", "a:b", SendOptions{Headers: []Header{{Key: "a:b", Value: "v"}}}},
		{"name with line feed", "a\\nb", SendOptions{Headers: []Header{{Key: "a\nb", Value: "v"}}}},
		{"empty name", "name", SendOptions{Headers: []Header{{Key: "", Value: "v"}}}},
		{"ContentType with line feed", "ContentType", SendOptions{ContentType: "text/\nplain"}},
		{"ContentType with NUL", "ContentType", SendOptions{ContentType: "text/\x00"}},
		{"TransactionID with line feed", "TransactionID", SendOptions{TransactionID: "t\n1"}},
		{"ContentType twice", "content-type", SendOptions{ContentType: "a/b", Headers: []Header{{Key: "content-type", Value: "c/d"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []*STOMP{s, idle} {
				requireRefused(t, c.Send(ctx, "/queue/refused", []byte("x"), tt.opts), tt.header)
				requireRefused(t, c.SendAsync(ctx, "/queue/refused", []byte("x"), tt.opts, nil), tt.header)
			}
		})
	}
	// Valid options on an idle client: not connected, as SendData.
	assert.ErrorIs(t, idle.Send(ctx, "/queue/idle", []byte("x"), SendOptions{}), ErrNotConnected)
	// A transaction that is not open is refused before anything is
	// written, as with TransactionID.
	assert.ErrorIs(t, s.Send(ctx, "/queue/refused", []byte("x"), SendOptions{TransactionID: "never-begun"}), ErrUnknownTransaction)
	sendBarrier(t, s, b)
}

// The negotiated version's rules apply when the frame is made: STOMP 1.0
// cannot carry a line feed in a header value.
func TestSendOptionsFollowTheNegotiatedVersion(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.0")
	err := s.Send(context.Background(), "/queue/v10", []byte("x"), SendOptions{Headers: []Header{{Key: "x-multi", Value: "a\nb"}}})
	requireRefused(t, err, "x-multi")
	sendBarrier(t, s, b)
	s12 := connectTo(t, b, "1.2")
	require.NoError(t, s12.Send(context.Background(), "/queue/v12", []byte("x"), SendOptions{Headers: []Header{{Key: "x-multi", Value: "a\nb"}}}))
	assert.Equal(t, "a\nb", waitFrame(t, b, 2, frames.CmdSend).Header("x-multi"))
}

// With RequestReceipts Send returns once the broker confirmed its
// message: the frame asked for a RECEIPT, and the broker has it.
func TestSendWaitsForItsReceipt(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2", WithRequestReceipts(true))
	require.NoError(t, s.Send(context.Background(), "/queue/send-receipt", []byte("x"), SendOptions{Headers: []Header{{Key: "correlation-id", Value: "c1"}}}))
	d, ok := b.Destination("/queue/send-receipt")
	require.True(t, ok)
	assert.EqualValues(t, 1, d.Enqueued, "Send returned before the broker had its message")
	f := waitFrame(t, b, 1, frames.CmdSend)
	assert.NotEmpty(t, f.Header("receipt"))
	assert.Equal(t, "c1", f.Header("correlation-id"))
	assert.Zero(t, s.Stats().ReceiptsPending)

	// A RECEIPT that does not come fails the call, as for SendData.
	w := newBroker(t, sim.WithPlan(sim.Plan{{Name: "withhold", Kind: sim.WithholdReceipt, Conn: 1}}))
	slow := connectTo(t, w, "1.2", WithRequestReceipts(true))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := slow.Send(ctx, "/queue/send-receipt", []byte("x"), SendOptions{})
	assert.ErrorIs(t, err, ErrReceiptTimeout)
}
