package api

import (
	"crypto/tls"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
	"github.com/stompactor/stompactor/transport"
)

// With MaxAttempts, the Connect that gives up keeps the last attempt's
// typed cause.
func TestReconnectWithMaxAttemptsKeepsTheTypedCause(t *testing.T) {
	tb := newTLSBroker(t, nil)
	stranger := newCA(t, "stranger")
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(stranger.pem()),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: 10 * time.Millisecond, MaxAttempts: 2}), WithTimeout(5*time.Second))
	err := s.Connect(tb.host, tb.port)
	require.Error(t, err)
	t.Logf("code %d: %v", codeOf(err), err)
	var he *transport.HandshakeError
	assert.ErrorAs(t, err, &he)
	assert.ErrorIs(t, err, ErrCertRejected)
}

// With a Reconnect policy that never gives up (MaxAttempts 0, the
// default), a first Connect whose every attempt fails the same way (a
// rejected server certificate, a proxy refusing the credentials) ends at
// Timeout with ErrTimeout that keeps the last attempt's typed error in the
// chain (errors.Is ErrCertRejected / ErrProxyFailed, errors.As
// *HandshakeError / *ProxyError, as with MaxAttempts 2) and names it in
// the message. Found by the transport review (a bare ErrTimeout, no cause).
func TestReconnectUntilTimeoutKeepsTheLastAttemptsCause(t *testing.T) {
	rc := WithReconnect(Reconnect{Enabled: true, InitialDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond})
	t.Run("certificate rejected", func(t *testing.T) {
		tb := newTLSBroker(t, nil)
		stranger := newCA(t, "stranger")
		s := newClient(t, rc, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(stranger.pem()), WithTimeout(time.Second))
		err := s.Connect(tb.host, tb.port)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrCertRejected, "got code %d: %v", codeOf(err), err)
		assert.ErrorIs(t, err, ErrTimeout, "got code %d: %v", codeOf(err), err)
		var he *transport.HandshakeError
		assert.ErrorAs(t, err, &he)
		assert.Contains(t, errString(err), "was rejected")
		assert.Contains(t, errString(err), "the last failed")
	})
	t.Run("proxy refuses the credentials", func(t *testing.T) {
		b := newBroker(t)
		h, port := hostPort(t, b.Addr())
		px := newConnectProxy(t, "alice", "right-password")
		s := newClient(t, rc, WithFirewall(Firewall{Type: FirewallTunnel, Host: px.host, Port: px.port, User: "alice", Password: "wrong-password"}), WithTimeout(time.Second))
		err := s.Connect(h, port)
		require.Error(t, err)
		var pe *transport.ProxyError
		assert.ErrorAs(t, err, &pe, "got code %d: %v", codeOf(err), err)
		assert.ErrorIs(t, err, ErrProxyFailed, "got code %d: %v", codeOf(err), err)
		assert.ErrorIs(t, err, ErrTimeout, "got code %d: %v", codeOf(err), err)
		assert.Contains(t, errString(err), "authentication failed")
		assert.NotContains(t, errString(err), "wrong-password")
	})
}

// Failover gets past a proxy that refuses, through ProxyExceptionsList for
// the failover host, and ConnectedServer names it.
func TestFailoverPastARefusingProxy(t *testing.T) {
	b := newBroker(t)
	h, port := hostPort(t, b.Addr())
	bad := newConnectProxy(t, "alice", "s3cret-pass")
	// The primary goes through the bad proxy (no credentials: 407); the
	// failover host is an exception, reached directly.
	s := newClient(t, WithFirewall(Firewall{Type: FirewallTunnel, Host: bad.host, Port: bad.port}),
		WithFailoverServers("localhost:"+strconv.Itoa(port)), WithProxyExceptions("localhost"),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: 10 * time.Millisecond, MaxAttempts: 3}), WithTimeout(5*time.Second))
	require.NoError(t, s.Connect(h, port))
	ch, cp, ok := s.ConnectedServer()
	require.True(t, ok)
	assert.Equal(t, "localhost", ch)
	assert.Equal(t, port, cp)
}

// Reconnecting over each transport: the broker drops the connection, the
// client comes back through the same proxy / TLS / WebSocket, with its
// subscription.
func TestReconnectOverEachTransport(t *testing.T) {
	rc := WithReconnect(Reconnect{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond})
	cases := map[string]func(t *testing.T, b *sim.Broker) (*STOMP, string, int){
		"TLS through a CONNECT proxy": func(t *testing.T, b *sim.Broker) (*STOMP, string, int) {
			ca := newCA(t, "CA")
			leaf := ca.issue(t, "localhost", false, true, "localhost")
			h, p, _ := tlsFront(t, &tls.Config{Certificates: []tls.Certificate{leaf.tls}}, b.Addr())
			px := newConnectProxy(t, "u", "pw-123")
			return newClient(t, rc, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(ca.pem()),
				WithFirewall(Firewall{Type: FirewallTunnel, Host: px.host, Port: px.port, User: "u", Password: "pw-123"})), h, p
		},
		"WebSocket": func(t *testing.T, b *sim.Broker) (*STOMP, string, int) {
			url, _ := wsBridge(t, nil, b.Addr())
			return newClient(t, rc, WithWebSocketURL(url)), "", 0
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			b := newBroker(t)
			s, h, p := mk(t, b)
			statuses := collect(s.OnConnectionStatus)
			msgs := collect(s.OnMessageIn)
			require.NoError(t, s.Connect(h, p))
			_, err := s.Subscribe("/queue/keep", false)
			require.NoError(t, err)
			waitFor(t, "subscription", func() bool { i, ok := b.Connection(1); return ok && len(i.Subscriptions) == 1 })
			require.NoError(t, b.CloseConnection(1))
			for ev := recv(t, statuses); ev.ConnectionEvent != "reconnected"; ev = recv(t, statuses) {
			}
			waitFor(t, "resubscribed", func() bool { i, ok := b.Connection(2); return ok && len(i.Subscriptions) == 1 })
			other := connectTo(t, b, "1.2")
			require.NoError(t, other.SendMessage("/queue/keep", "back"))
			assert.Equal(t, "back", recv(t, msgs).Text())
		})
	}
}
