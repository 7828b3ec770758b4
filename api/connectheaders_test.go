package api

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// requireConnectHeaders checks that the CONNECT frame connection n of b
// received carries want, in that order, after the client's own headers.
func requireConnectHeaders(t *testing.T, b *sim.Broker, n int, want ...Header) {
	t.Helper()
	f := waitFrame(t, b, n, frames.CmdConnect)
	var extra []Header
	for _, h := range f.Headers {
		switch h.Key {
		case frames.HdrAcceptVersion, frames.HdrHost, frames.HdrLogin, frames.HdrPasscode, frames.HdrHeartBeat:
		default:
			extra = append(extra, h)
		}
	}
	require.Equal(t, want, extra, "the extra headers of CONNECT on connection %d (%v)", n, f)
}

// The extra CONNECT headers (ActiveMQ's client-id, which keys its durable
// topic subscriptions) go on the CONNECT of every attempt: the first
// Connect, a reconnect to the same broker, and a failover to another.
// Before the ConnectHeaders setting existed, api had no way to put a
// header on CONNECT, and a durable subscription could not survive a
// reconnect on ActiveMQ (review cluster, finding 3).
func TestConnectHeadersGoOnEveryAttempt(t *testing.T) {
	b1, b2 := newBroker(t), newBroker(t)
	s := newClient(t, WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
		WithFailoverServers(b2.Addr()))
	_, err := s.Config("ConnectHeaders=client-id:app-1\nx-app:demo:1")
	require.NoError(t, err)
	want := []Header{{Key: "client-id", Value: "app-1"}, {Key: "x-app", Value: "demo:1"}}
	v, err := s.Config("connectheaders")
	require.NoError(t, err)
	require.Equal(t, "client-id:app-1\nx-app:demo:1", v)

	h, p := hostPort(t, b1.Addr())
	require.NoError(t, s.Connect(h, p))
	requireConnectHeaders(t, b1, 1, want...)

	// Read by Connect: refused while connected, like every such setting.
	_, err = s.Config("ConnectHeaders=client-id:other")
	require.ErrorIs(t, err, ErrConnectedSetting)

	require.NoError(t, b1.CloseConnection(1))
	waitFor(t, "the reconnection to the first broker", func() bool { return s.Stats().Reconnects == 1 && s.Connected() })
	requireConnectHeaders(t, b1, 2, want...)

	require.NoError(t, b1.Close())
	waitFor(t, "the failover to the second broker", func() bool { return s.Stats().Reconnects == 2 && s.Connected() })
	requireConnectHeaders(t, b2, 1, want...)
	host, port, ok := s.ConnectedServer()
	require.True(t, ok)
	h2, p2 := hostPort(t, b2.Addr())
	require.Equal(t, []any{h2, p2}, []any{host, port})
	require.NoError(t, s.Disconnect())
}

// WithConnectHeader adds to the list, in order; Config reads it back and
// replaces it whole; "" empties it.
func TestConnectHeaderOption(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithConnectHeader("client-id", "app-2"), WithConnectHeader("x-tag", ""), WithConnectHeader("client-id", "again"))
	requireConnectHeaders(t, b, 1, Header{Key: "client-id", Value: "app-2"}, Header{Key: "x-tag"}, Header{Key: "client-id", Value: "again"})
	require.NoError(t, s.Disconnect())

	_, err := s.Config("ConnectHeaders=")
	require.NoError(t, err)
	v, err := s.Config("ConnectHeaders")
	require.NoError(t, err)
	require.Empty(t, v)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	requireConnectHeaders(t, b, 2)
}

// The headers CONNECT takes from other settings, the headers of other
// frames and the headers CONNECT cannot carry are refused, typed, when
// given: by the option (at Connect), and by the setting, which then keeps
// the list it had.
func TestConnectHeadersRefused(t *testing.T) {
	bad := []Header{
		{Key: "accept-version", Value: "1.2"},
		{Key: "host", Value: "/"},
		{Key: "login", Value: "guest"},
		{Key: "passcode", Value: "secret-passcode"},
		{Key: "heart-beat", Value: "0,0"},
		{Key: "receipt", Value: "r-1"},
		{Key: "content-length", Value: "0"},
		{Key: "destination", Value: "/queue/a"},
		{Key: "", Value: "v"},
		{Key: "a:b", Value: "v"},
		{Key: "a\nb", Value: "v"},
		{Key: "nul\x00", Value: "v"},
		{Key: "client-id", Value: "line\nbreak"},
		{Key: "client-id", Value: "cr\rhere"},
		{Key: "client-id", Value: "nul\x00"},
	}
	for _, h := range bad {
		s := NewSTOMP(WithConnectHeader(h.Key, h.Value))
		err := s.Connect("127.0.0.1", 1)
		s.Close()
		require.ErrorIs(t, err, ErrInvalidArgument, "%q", h)
		require.NotContains(t, err.Error(), "secret-passcode")
	}
	s := newClient(t, WithConnectHeader("client-id", "kept"))
	for _, h := range bad {
		if strings.ContainsAny(h.Key+h.Value, "\n") || strings.Contains(h.Key, ":") {
			continue // the setting's form: a line break ends a header, the first colon its name
		}
		_, err := s.Config("ConnectHeaders=x-ok:1\n" + h.Key + ":" + h.Value)
		require.ErrorIs(t, err, ErrInvalidArgument, "%q", h)
		var e *Error
		require.True(t, errors.As(err, &e))
	}
	_, err := s.Config("ConnectHeaders=no colon here")
	require.ErrorIs(t, err, ErrInvalidArgument)
	v, err := s.Config("ConnectHeaders")
	require.NoError(t, err)
	require.Equal(t, "client-id:kept", v, "a refused list leaves the one before")
}

// Frame logs show the extra CONNECT headers (a client-id is no secret),
// but never the value of one named like a secret, which is scrubbed from
// every line as Password is.
func TestConnectHeadersInLogs(t *testing.T) {
	b := newBroker(t)
	var logs logSink
	s := connectTo(t, b, "1.2", WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithLogLevel(3), WithConnectHeader("client-id", "visible-client"), WithConnectHeader("token", "tok-secret-1234"))
	requireConnectHeaders(t, b, 1, Header{Key: "client-id", Value: "visible-client"}, Header{Key: "token", Value: "tok-secret-1234"})
	require.NoError(t, s.Disconnect())
	all := strings.Join(logs.all(), "\n")
	require.Contains(t, all, "client-id:visible-client")
	require.Contains(t, all, "token:<redacted>")
	require.NotContains(t, all, "tok-secret-1234")
	require.Equal(t, "echo <redacted>", s.scrub("echo tok-secret-1234"))
}
