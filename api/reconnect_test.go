package api

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stompactor/stompactor/sim"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAutoReconnectKeepsSubscriptions(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithReconnect(Reconnect{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))
	statuses := collect(s.OnConnectionStatus)
	msgs := collect(s.OnMessageIn)
	id, err := s.Subscribe("/queue/keep", false)
	require.NoError(t, err)

	require.NoError(t, b.CloseConnection(1))
	for ev := recv(t, statuses); ev.ConnectionEvent != "reconnected"; ev = recv(t, statuses) {
	}
	require.Equal(t, []Subscription{{ID: id, Destination: "/queue/keep", AckMode: AckAuto}}, s.Subscriptions())
	waitFor(t, "the broker to see the subscription again", func() bool {
		info, ok := b.Connection(2)
		return ok && len(info.Subscriptions) == 1
	})
	p := connectTo(t, b, "1.2")
	require.NoError(t, p.SendMessage("/queue/keep", "still here"))
	m := recv(t, msgs)
	assert.Equal(t, "still here", m.Text())
	assert.Equal(t, id, m.SubscriptionID)
	assert.EqualValues(t, 1, s.Stats().Reconnects)
}

func TestAutoReconnectGivesUpAndReports(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	// Settings are read at Connect (and refused while connected):
	// disconnect, set them, and reconnect so they apply.
	require.NoError(t, s.Disconnect())
	_, err := s.Config("AutoReconnect=true")
	require.NoError(t, err)
	_, err = s.Config("MaxReconnectAttempts=1")
	require.NoError(t, err)
	_, err = s.Config("ReconnectDelay=5")
	require.NoError(t, err)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	errs := collect(s.OnError)
	require.NoError(t, b.Close())
	ev := recv(t, errs)
	assert.Equal(t, CodeConnectionLost, ev.ErrorCode, ev.Description)
	assert.Contains(t, ev.Description, "gave up reconnecting after 1 attempts")
	waitFor(t, "disconnected", func() bool { return !s.Connected() })
}

func TestReconnectSettings(t *testing.T) {
	s := newClient(t, WithFailoverServers("127.0.0.1:1", "broker2:61613"))
	v, err := s.Config("FailoverServers")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:1,broker2:61613", v)
	for _, bad := range []string{"FailoverServers=nohost", "FailoverServers=h:0", "MaxReconnectAttempts=-1", "AutoReconnect=maybe"} {
		_, err := s.Config(bad)
		assert.True(t, errors.Is(err, ErrInvalidArgument), "%s: %v", bad, err)
	}
	_, err = s.Config("AutoReconnect=true")
	require.NoError(t, err)
	v, _ = s.Config("AutoReconnect")
	assert.Equal(t, "true", v)
	bad := NewSTOMP(WithReconnect(Reconnect{Enabled: true, MaxAttempts: -1}))
	defer bad.Close()
	assert.True(t, errors.Is(bad.Connect("127.0.0.1", 1), ErrInvalidArgument))
}

// WithCredentials gives every attempt its own login; the passwords it
// hands out never reach a log.
func TestCredentialsCallback(t *testing.T) {
	b := newBroker(t, sim.WithUser("svc", "token-one-0001"), sim.WithUser("svc2", "token-two-0002"))
	var logs logSink
	calls := 0
	s := newClient(t, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithLogLevel(3), WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
		WithCredentials(func(_ context.Context, server string) (string, string, error) {
			calls++
			if calls == 1 {
				return "svc", "token-one-0001", nil
			}
			return "svc2", "token-two-0002", nil
		}))
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	require.NoError(t, b.CloseConnection(1))
	waitFor(t, "the reconnection", func() bool { return s.Stats().Reconnects == 1 && s.Connected() })
	info, ok := b.Connection(2)
	require.True(t, ok)
	require.Equal(t, "svc2", info.Login)
	for _, line := range logs.all() {
		require.NotContains(t, line, "token-one-0001")
		require.NotContains(t, line, "token-two-0002")
	}
	// A broker that echoes a token in an ERROR or a log line is scrubbed.
	require.Equal(t, "echo: <redacted>, <redacted>", s.scrub("echo: token-one-0001, token-two-0002"))
}

// The reconnect settings are read by Connect: like every such setting
// they are refused while connected, not accepted and ignored.
func TestReconnectSettingsRefusedWhileConnected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	for _, kv := range []string{"AutoReconnect=true", "ReconnectDelay=10", "MaxReconnectDelay=10", "ReconnectStableAfter=10", "MaxReconnectAttempts=3", "FailoverServers=127.0.0.1:1"} {
		_, err := s.Config(kv)
		require.ErrorIs(t, err, ErrConnectedSetting, kv)
	}
	require.NoError(t, s.Disconnect())
	_, err := s.Config("AutoReconnect=true")
	require.NoError(t, err)
}

// Reconnect.StableAfter has a Config name, ReconnectStableAfter, in
// milliseconds like the other reconnect delays: it had none, so neither
// `stomp --config` nor a program configuring by name could set it. Read
// and written by name, it is the policy Connect hands the engine; an
// option's value reads back by name; 0 leaves the engine's default
// (MaxDelay).
func TestReconnectStableAfterHasAConfigName(t *testing.T) {
	s := newClient(t)
	v, err := s.Config("ReconnectStableAfter")
	require.NoError(t, err)
	assert.Equal(t, "0", v, "default: 0, MaxReconnectDelay")
	_, err = s.Config("ReconnectStableAfter=1500")
	require.NoError(t, err)
	v, err = s.Config("ReconnectStableAfter")
	require.NoError(t, err)
	assert.Equal(t, "1500", v)
	cc, _, err := s.cfg.connectConfig(s)
	require.NoError(t, err)
	assert.Equal(t, 1500*time.Millisecond, cc.Reconnect.StableAfter)
	for _, bad := range []string{"ReconnectStableAfter=-1", "ReconnectStableAfter=2147483648", "ReconnectStableAfter=1s"} {
		_, err := s.Config(bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, bad)
	}
	v, _ = s.Config("ReconnectStableAfter")
	assert.Equal(t, "1500", v, "a refused value changes nothing")

	o := newClient(t, WithReconnect(Reconnect{Enabled: true, StableAfter: 2500 * time.Millisecond}))
	v, err = o.Config("ReconnectStableAfter")
	require.NoError(t, err)
	assert.Equal(t, "2500", v)
}
