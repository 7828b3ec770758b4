package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reconnect settings are read by Connect: like every such setting
// they are refused while connected, not accepted and ignored.
func TestReviewReconnectSettingsRefusedWhileConnected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	for _, kv := range []string{"AutoReconnect=true", "ReconnectDelay=10", "MaxReconnectDelay=10", "MaxReconnectAttempts=3", "FailoverServers=127.0.0.1:1"} {
		_, err := s.Config(kv)
		require.ErrorIs(t, err, ErrConnectedSetting, kv)
	}
	require.NoError(t, s.Disconnect())
	_, err := s.Config("AutoReconnect=true")
	require.NoError(t, err)
}

// Close called from a handler that runs on the goroutine draining the
// manual-mode queue (after ProcessIdleEvents is turned back on) returns
// instead of waiting for that goroutine, that is for itself.
func TestReviewCloseFromLeftoverHandler(t *testing.T) {
	b := newBroker(t)
	// LogLevel 0: no log events; after Subscribed the engine is silent.
	s := connectTo(t, b, "1.2", WithManualEvents(), WithLogLevel(0))
	subscribed := collect(s.OnSubscribed)
	closed := make(chan struct{})
	dest := "/queue/review-leftover"
	_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{Handler: func(*MessageInEvent) {
		s.Close()
		close(closed)
	}})
	require.NoError(t, err)
	// Run the events of connecting and subscribing, so that only the
	// message will wait in the queue.
	for len(subscribed) == 0 {
		require.NoError(t, s.DoEvents())
	}
	require.Zero(t, s.events.waiting())
	other := connectTo(t, b, "1.2")
	require.NoError(t, other.SendMessage(dest, "hello"))
	waitFor(t, "the message queued", func() bool { return s.events.waiting() > 0 })
	_, err = s.Config("ProcessIdleEvents=true")
	require.NoError(t, err)
	recv(t, closed)
}

// An inline CertStore holds the client's private key: SSLSettings.String
// (and so %v and %#v) must not print it.
func TestReviewSSLSettingsStringHidesInlineKey(t *testing.T) {
	ca := newCA(t, "review CA")
	c := ca.issue(t, "client", true, false)
	store := c.certPEM + c.keyPEM
	keyBody := strings.Split(strings.TrimSpace(c.keyPEM), "\n")[1]
	ssl := SSLSettings{Enabled: true, CertStore: store}
	for _, out := range []string{ssl.String(), fmt.Sprintf("%v", ssl), fmt.Sprintf("%#v", ssl), fmt.Sprint(newClient(t, WithSSL(ssl)).SSL())} {
		assert.NotContains(t, out, keyBody)
		assert.NotContains(t, out, "PRIVATE KEY")
	}
	// A path is still shown.
	assert.Contains(t, SSLSettings{CertStore: "/etc/stomp/client.pem"}.String(), "/etc/stomp/client.pem")
}

// An inline store given with SSLCertStoreType PEMFile is read as a file
// name; the error of that read must not quote the private key.
func TestReviewCertStoreErrorHidesInlineKey(t *testing.T) {
	ca := newCA(t, "review CA")
	c := ca.issue(t, "client", true, false)
	keyBody := strings.Split(strings.TrimSpace(c.keyPEM), "\n")[1]
	var logs logSink
	s := newClient(t,
		WithSSL(SSLSettings{Enabled: true, CertStore: c.certPEM + c.keyPEM, CertStoreType: CertStorePEMFile}),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	err := s.Connect("127.0.0.1", 1)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		assert.NotContains(t, e.Error(), keyBody)
	}
	for _, l := range logs.all() {
		assert.NotContains(t, l, keyBody)
	}
}

// A TLS failover broker is verified against its own host name, not
// RemoteHost's: its certificate names itself.
func TestReviewTLSFailoverVerifiesItsOwnName(t *testing.T) {
	b := newBroker(t)
	ca := newCA(t, "review CA")
	primary := ca.issue(t, "primary", false, false, "localhost")
	failover := ca.issue(t, "failover", false, true)
	_, fport, _ := tlsFront(t, &tls.Config{Certificates: []tls.Certificate{failover.tls}}, b.Addr())

	// The primary serves one connection, then goes away for good.
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{primary.tls}})
	require.NoError(t, err)
	_, pport := hostPort(t, ln.Addr().String())
	served := make(chan net.Conn, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		served <- c
		bc, err := net.Dial("tcp", b.Addr())
		if err != nil {
			_ = c.Close()
			return
		}
		forward(c, bc)
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })

	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(ca.pem()),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxAttempts: 2}),
		WithFailoverServers(net.JoinHostPort("127.0.0.1", strconv.Itoa(fport))))
	statuses := collect(s.OnConnectionStatus)
	require.NoError(t, s.Connect("localhost", pport))
	require.NoError(t, ln.Close())
	_ = recv(t, served).Close()
	for ev := recv(t, statuses); ev.ConnectionEvent != "reconnected"; ev = recv(t, statuses) {
		require.NotEqual(t, "gave up", ev.ConnectionEvent, ev.Description)
	}
	roundTrip(t, s)
}

// The firewall and ProxyExceptionsList decide for each broker dialed: a
// failover broker that is no exception goes through the proxy even when
// RemoteHost is an exception.
func TestReviewFailoverUsesItsOwnProxyRoute(t *testing.T) {
	primary := newBroker(t)
	backup := newBroker(t)
	px := newConnectProxy(t, "", "")
	_, pport := hostPort(t, primary.Addr())
	s := newClient(t,
		WithFirewall(Firewall{Type: FirewallTunnel, Host: px.host, Port: px.port}),
		WithProxyExceptions("localhost"),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxAttempts: 4}),
		WithFailoverServers(backup.Addr()))
	statuses := collect(s.OnConnectionStatus)
	require.NoError(t, s.Connect("localhost", pport))
	require.Zero(t, px.tunnels.Load(), "localhost is an exception")
	require.NoError(t, primary.Close())
	for ev := recv(t, statuses); ev.ConnectionEvent != "reconnected"; ev = recv(t, statuses) {
		require.NotEqual(t, "gave up", ev.ConnectionEvent, ev.Description)
	}
	assert.EqualValues(t, 1, px.tunnels.Load(), "the failover broker is no exception")
}
