package api

import (
	"context"
	"errors"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ownHeaderNames are the headers the client sets on the frames it writes.
var ownHeaderNames = []string{"destination", "transaction", "receipt", "content-length", "subscription", "id", "ack", "message-id"}

// requireRefused checks that err refuses the input as a call error (code
// 100) naming the header.
func requireRefused(t *testing.T, err error, header string) {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "want an *Error refusing %q, got %v", header, err)
	assert.Equal(t, CodeInvalidArgument, e.Code, "%v", err)
	assert.Contains(t, e.Message, header)
}

// sendBarrier sends one good message and waits until it is the broker's
// first SEND: nothing refused before it reached the wire.
func sendBarrier(t *testing.T, s *STOMP, b *sim.Broker) {
	t.Helper()
	require.NoError(t, s.SendMessage("/queue/barrier", "ok"))
	f := waitFrame(t, b, 1, frames.CmdSend)
	require.Len(t, received(t, b, 1, frames.CmdSend), 1, "a refused frame was sent")
	assert.Equal(t, "/queue/barrier", f.Header("destination"))
}

func TestCustomHeadersCannotForgeTheClientsOwn(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	for _, key := range ownHeaderNames {
		t.Run(key, func(t *testing.T) {
			err := s.AddHeader(key, "/queue/other")
			requireRefused(t, err, key)
			assert.Contains(t, err.Error(), "set by the client")

			opt := newClient(t, WithHeader(key, "x"))
			h, p := hostPort(t, b.Addr())
			requireRefused(t, opt.Connect(h, p), key)

			_, err = s.SubscribeWith(context.Background(), "/queue/a", SubscribeOptions{Headers: []Header{{Key: key, Value: "x"}}})
			requireRefused(t, err, key)
		})
	}
	assert.Empty(t, s.Headers())
	assert.Empty(t, s.Subscriptions())
	sendBarrier(t, s, b)
	assert.Empty(t, received(t, b, 1, frames.CmdSubscribe))

	// content-type is the caller's on SEND: a custom one replaces
	// ContentType there, and is sent once.
	require.NoError(t, s.SetContentType("text/plain"))
	require.NoError(t, s.AddHeader("content-type", "application/json"))
	require.NoError(t, s.SendMessage("/queue/ct", "{}"))
	waitFor(t, "the second SEND", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 2 })
	assert.Equal(t, []string{"application/json"}, received(t, b, 1, frames.CmdSend)[1].Headers.Values("content-type"))
}

// Input that no version can encode is refused when it is given, at every
// entry point, with code 100 naming the header.
func TestUnencodableInputRefusedWhenGiven(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	ctx := context.Background()
	for _, tt := range []struct {
		name, header string
		err          func() error
	}{
		{"AddHeader name with NUL", "x\\x00y", func() error { return s.AddHeader("x\x00y", "v") }},
		{"AddHeader value with NUL", `"x"`, func() error { return s.AddHeader("x", "a\x00b") }},
		{"ContentType", "ContentType", func() error { return s.SetContentType("text/\x00") }},
		{"TransactionID", "TransactionID", func() error { return s.SetTransactionID("t\x00") }},
		{"AckTransactionId", "AckTransactionId", func() error { _, err := s.Config("AckTransactionId=t\x00"); return err }},
		{"SendMessage destination", "destination", func() error { return s.SendMessage("/queue/a\x00", "x") }},
		{"SendData destination", "destination", func() error { return s.SendData("/queue/a\x00", nil) }},
		{"BeginTransaction", "transaction", func() error { return s.BeginTransaction("t\x00") }},
		{"CommitTransaction", "transaction", func() error { return s.CommitTransaction("t\x00") }},
		{"Subscribe destination", "destination", func() error { _, err := s.Subscribe("/queue/\x00", false); return err }},
		{"SubscribeOptions.ID", `"id"`, func() error {
			_, err := s.SubscribeWith(ctx, "/queue/a", SubscribeOptions{ID: "s\x00"})
			return err
		}},
		{"SubscribeOptions.Headers", "selector", func() error {
			_, err := s.SubscribeWith(ctx, "/queue/a", SubscribeOptions{Headers: []Header{{Key: "selector", Value: "a\x00"}}})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) { requireRefused(t, tt.err(), tt.header) })
	}
	assert.Empty(t, s.Headers())
	assert.Empty(t, s.Subscriptions())
	assert.Empty(t, s.ContentType())
	assert.Empty(t, s.TransactionID())
	sendBarrier(t, s, b)
}

// The settings that become headers refuse a NUL (and, as before, line
// breaks: CONNECT headers are never escaped, and ids hold none), whether
// set by property, option or Config; an invalid option fails Connect.
func TestSettingsThatBecomeHeadersRefuseNUL(t *testing.T) {
	s := newClient(t)
	requireRefused(t, s.SetUser("a\x00"), "User")
	requireRefused(t, s.SetPassword("a\x00"), "Password")
	_, err := s.Config("VirtualHost=a\x00")
	requireRefused(t, err, "VirtualHost")
	requireRefused(t, s.SetPassword("a\nb"), "Password")
	for _, tt := range []struct {
		setting string
		opt     Option
	}{
		{"VirtualHost", WithVirtualHost("/\x00")},
		{"User", WithUser("\x00")},
		{"Password", WithPassword("p\x00")},
		{"ContentType", WithContentType("text/\x00")},
		{"TransactionID", WithTransactionID("t\x00")},
		{"AckTransactionId", WithAckTransactionID("t\x00")},
		{"Header", WithHeader("x", "a\x00")},
		{"Header", WithHeader("x\x00", "a")},
	} {
		requireRefused(t, newClient(t, tt.opt).Connect("127.0.0.1", 1), tt.setting)
	}
}

// Rules of one version are checked when the frame is made, before it is
// queued: a line feed cannot be sent on 1.0, a carriage return on 1.0 or
// 1.1; with receipts too the call fails as the caller's error (100), not
// as the server's (500).
func TestUnencodableInTheNegotiatedVersionRefusedBeforeQueueing(t *testing.T) {
	for _, tt := range []struct {
		version, value string
		refused        bool
	}{
		{"1.0", "a\nb", true},
		{"1.1", "a\nb", false},
		{"1.0", "a\rb", true},
		{"1.1", "a\rb", true},
		{"1.2", "a\rb", false},
	} {
		t.Run(tt.version+" "+tt.value, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, tt.version)
			require.NoError(t, s.AddHeader("x", tt.value), "version rules wait for the version")
			for _, receipts := range []bool{false, true} {
				require.NoError(t, s.SetRequestReceipts(receipts))
				err := s.SendMessage("/queue/a", "body")
				if !tt.refused {
					require.NoError(t, err)
					assert.Equal(t, tt.value, waitFrame(t, b, 1, frames.CmdSend).Header("x"))
					return
				}
				requireRefused(t, err, `"x"`)
				assert.Contains(t, err.Error(), "STOMP "+tt.version)
			}
			require.NoError(t, s.SetRequestReceipts(false))
			s.ResetHeaders()
			bad := "/queue/a" + tt.value
			requireRefused(t, s.SendMessage(bad, "x"), "destination")
			_, err := s.Subscribe(bad, false)
			requireRefused(t, err, "destination")
			_, err = s.SubscribeWith(context.Background(), "/queue/a", SubscribeOptions{Headers: []Header{{Key: "selector", Value: tt.value}}})
			requireRefused(t, err, "selector")
			requireRefused(t, s.BeginTransaction("t"+tt.value), "transaction")
			assert.Empty(t, s.OpenTransactions())
			sendBarrier(t, s, b)
			assert.Empty(t, received(t, b, 1, frames.CmdSubscribe))
			assert.Empty(t, received(t, b, 1, frames.CmdBegin))
		})
	}
}

// A header name with a carriage return (or a colon, or a line feed) is
// refused in every version, and the error does not blame STOMP 1.0, which
// a 1.2 client does not speak.
func TestExtraHeaderNameWithALineBreakIsRefusedWithoutNamingAVersion(t *testing.T) {
	for _, k := range []string{"x\r", "x\n", "x:y"} {
		err := checkExtraHeader("SubscribeOptions.Headers", frames.CmdSubscribe, Header{Key: k, Value: "v"})
		require.ErrorIs(t, err, ErrInvalidArgument, "%q", k)
		require.NotContains(t, err.Error(), "1.0", "%q", k)
		require.Contains(t, err.Error(), "colon or a line break", "%q", k)
	}
}
