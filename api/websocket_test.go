package api

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"

	"github.com/stompactor/stompactor/internal/testnet"
)

// wsBridge serves WebSocket on 127.0.0.1:0 (with TLS when cert is not
// nil) at path /stomp and relays each connection's bytes to the STOMP
// server at backend, the way a broker's WebSocket port fronts its STOMP
// engine. It returns the URL and the subprotocols each upgrade offered.
func wsBridge(t *testing.T, cert *tls.Certificate, backend string) (string, <-chan string) {
	t.Helper()
	offered := make(chan string, 16)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		if r.URL.Path != "/stomp" {
			http.NotFound(w, r)
			return
		}
		offered <- r.Header.Get("Sec-WebSocket-Protocol")
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"v12.stomp", "v11.stomp", "v10.stomp"}})
		if err != nil {
			return
		}
		back, err := net.Dial("tcp", backend)
		if err != nil {
			_ = c.Close(websocket.StatusTryAgainLater, "no backend")
			return
		}
		testnet.Forward(websocket.NetConn(ctx, c, websocket.MessageBinary), back)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused TLS handshakes are expected
	scheme := "ws://"
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
		srv.StartTLS()
		scheme = "wss://"
	} else {
		srv.Start()
	}
	t.Cleanup(func() {
		cancel()
		srv.Close()
		wg.Wait()
	})
	return scheme + srv.Listener.Addr().String() + "/stomp", offered
}

func TestWebSocketThroughSim(t *testing.T) {
	b := newBroker(t)
	url, offered := wsBridge(t, nil, b.Addr())
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			s := newClient(t, WithWebSocketURL(url), WithSupportedVersions(v), WithLogLevel(2))
			logs := collect(s.OnLog)
			require.NoError(t, s.Connect("", 0))
			assert.Equal(t, v, s.ProtocolVersion())
			assert.Equal(t, "v"+strings.ReplaceAll(v, ".", "")+".stomp", recv(t, offered))
			h, p := hostPort(t, strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/stomp"))
			assert.Equal(t, h, s.RemoteHost())
			assert.Equal(t, p, s.RemotePort())
			_, err := s.Config("WebSocketURL=ws://elsewhere/")
			require.ErrorIs(t, err, ErrConnectedSetting)

			got := make(chan string, 1)
			dest := "/queue/ws-" + v
			_, err = s.SubscribeWith(context.Background(), dest, SubscribeOptions{Handler: func(e *MessageInEvent) { got <- e.Text() }})
			require.NoError(t, err)
			require.NoError(t, s.SendMessage(dest, "over a WebSocket"))
			assert.Equal(t, "over a WebSocket", recv(t, got))
			require.NoError(t, s.Disconnect())
			assert.False(t, s.Connected())
			// Events arrive on their own goroutine: wait for the line.
			line := ""
			for !strings.HasPrefix(line, "connecting to") {
				line = recv(t, logs).Message
			}
			assert.Equal(t, "connecting to "+net.JoinHostPort(h, strconv.Itoa(p))+" over WebSocket "+url, line)
		})
	}
	t.Run("all versions offered, newest first", func(t *testing.T) {
		s := newClient(t, WithWebSocketURL(url))
		require.NoError(t, s.Connect("ignored", 1))
		assert.Equal(t, "v12.stomp,v11.stomp,v10.stomp", strings.ReplaceAll(recv(t, offered), " ", ""))
		assert.Equal(t, "1.2", s.ProtocolVersion())
	})
}

func TestWebSocketOverTLSWithSim(t *testing.T) {
	b := newBroker(t)
	ca := newCA(t, "ws CA")
	leaf := ca.issue(t, "localhost", false, true, "localhost")
	url, _ := wsBridge(t, &leaf.tls, b.Addr())
	t.Run("trusted, without SSLEnabled", func(t *testing.T) {
		s := newClient(t, WithWebSocketURL(url), WithSSLServerCACerts(ca.pem()))
		status := collect(s.OnSSLStatus)
		require.NoError(t, s.Connect("", 0))
		proto, err := s.Config("SSLNegotiatedProtocol")
		require.NoError(t, err)
		assert.Equal(t, "TLS1.3", proto)
		assert.Contains(t, s.SSLServerCertEncoded(), "-----BEGIN CERTIFICATE-----")
		assert.NotEmpty(t, status)
		roundTrip(t, s)
		require.NoError(t, s.Disconnect())
	})
	t.Run("by name", func(t *testing.T) {
		_, p := hostPort(t, strings.TrimSuffix(strings.TrimPrefix(url, "wss://"), "/stomp"))
		s := newClient(t, WithWebSocketURL("wss://localhost:"+strconv.Itoa(p)+"/stomp"), WithSSLServerCACerts(ca.pem()), WithSSL(SSLSettings{Enabled: true}))
		require.NoError(t, s.Connect("", 0))
		assert.Equal(t, "localhost", s.RemoteHost())
		roundTrip(t, s)
	})
	t.Run("untrusted", func(t *testing.T) {
		s := newClient(t, WithWebSocketURL(url))
		require.ErrorIs(t, s.Connect("", 0), ErrCertRejected)
	})
	t.Run("accepted by the event", func(t *testing.T) {
		s := newClient(t, WithWebSocketURL(url))
		s.OnSSLServerAuthentication(func(e *SSLServerAuthenticationEvent) { e.Accept = true })
		require.NoError(t, s.Connect("", 0))
		roundTrip(t, s)
	})
}

func TestWebSocketSetting(t *testing.T) {
	s := newClient(t)
	v, err := s.Config("WebSocketURL")
	require.NoError(t, err)
	assert.Equal(t, "", v, "default: raw TCP")
	_, err = s.Config("websocketurl= ws://broker:15674/ws ")
	require.NoError(t, err)
	v, err = s.Config("WebSocketURL")
	require.NoError(t, err)
	assert.Equal(t, "ws://broker:15674/ws", v)
	for _, bad := range []string{"http://broker/", "ws://", "ws://broker:0/", "stomp://broker:61613"} {
		_, err = s.Config("WebSocketURL=" + bad)
		require.ErrorIs(t, err, ErrInvalidArgument, bad)
	}
	_, err = s.Config("WebSocketURL=ws://guest:hunter22@broker/ws")
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.NotContains(t, err.Error(), "hunter22")
	assert.Contains(t, err.Error(), "user information")
	_, err = s.Config("WebSocketURL=")
	require.NoError(t, err)

	bad := newClient(t, WithWebSocketURL("ftp://x/"))
	require.ErrorIs(t, bad.Connect("", 0), ErrInvalidArgument)

	plain := newClient(t, WithWebSocketURL("ws://127.0.0.1:1/"), WithSSL(SSLSettings{Enabled: true}))
	err = plain.Connect("", 0)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "wss://")

	assert.Equal(t, []string{"v12.stomp", "v10.stomp"}, subprotocols([]frames.Version{frames.V10, frames.V12}))
}

func TestWebSocketUpgradeRefused(t *testing.T) {
	b := newBroker(t)
	url, _ := wsBridge(t, nil, b.Addr())
	s := newClient(t, WithWebSocketURL(strings.TrimSuffix(url, "/stomp")+"/elsewhere"))
	err := s.Connect("", 0)
	require.ErrorIs(t, err, ErrConnectFailed)
	assert.Contains(t, err.Error(), "HTTP 404")
	assert.False(t, s.Connected())
}

// RabbitMQ's Web-STOMP from scripts/brokers/up.sh, end to end: connect,
// subscribe, send, receive, disconnect.
func TestRabbitMQOverWebSocket(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_WS_URL", "STOMPACTOR_RABBITMQ_WSS_URL", "STOMPACTOR_TLS_CA")
	for name, opts := range map[string][]Option{
		"ws":           {WithWebSocketURL(env[0])},
		"ws STOMP 1.1": {WithWebSocketURL(env[0]), WithSupportedVersions("1.1")},
		"wss":          {WithWebSocketURL(env[1]), WithSSLCACertFilePaths(env[2])},
	} {
		t.Run(name, func(t *testing.T) {
			s := newClient(t, rabbit(opts...)...)
			require.NoError(t, s.Connect("", 0))
			assert.Contains(t, s.ServerInfo(), "RabbitMQ")
			roundTrip(t, s)
			require.NoError(t, s.Disconnect())
		})
	}
	t.Run("wss without the CA", func(t *testing.T) {
		s := newClient(t, rabbit(WithWebSocketURL(env[1]))...)
		require.ErrorIs(t, s.Connect("", 0), ErrCertRejected)
	})
	t.Run("wrong vhost", func(t *testing.T) {
		s := newClient(t, WithWebSocketURL(env[0]), WithUser("guest"), WithPassword("guest"))
		err := s.Connect("", 0)
		require.ErrorIs(t, err, ErrServer, "the host header defaults to the URL's host, which is no RabbitMQ vhost")
	})
}

func TestRabbitMQOverWebSocketThroughProxies(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_WS_URL", "STOMPACTOR_RABBITMQ_WSS_URL", "STOMPACTOR_TLS_CA", "STOMPACTOR_SOCKS_ADDR", "STOMPACTOR_HTTP_PROXY_ADDR")
	socksHost, socksPort := hostPort(t, env[3])
	tunHost, tunPort := hostPort(t, env[4])
	for name, fw := range map[string]Firewall{
		"SOCKS5": {Type: FirewallSOCKS5, Host: socksHost, Port: socksPort},
		"tunnel": {Type: FirewallTunnel, Host: tunHost, Port: tunPort},
	} {
		t.Run(name+" ws", func(t *testing.T) {
			s := newClient(t, rabbit(WithFirewall(fw), WithWebSocketURL(env[0]))...)
			require.NoError(t, s.Connect("", 0))
			roundTrip(t, s)
		})
		t.Run(name+" wss", func(t *testing.T) {
			s := newClient(t, rabbit(WithFirewall(fw), WithWebSocketURL(env[1]), WithSSLCACertFilePaths(env[2]))...)
			require.NoError(t, s.Connect("", 0))
			roundTrip(t, s)
		})
	}
}

// Over WebSocket the URL is the one dialed: when the first attempt fails,
// the client does not take turns through FailoverServers (which would
// not be dialed), and ConnectedServer names the URL's host and port, not
// a failover entry it never talked to.
func TestConnectedServerOverWebSocketIsTheURLsAfterAFailedFirstAttempt(t *testing.T) {
	b := newBroker(t)
	other := newBroker(t) // a failover entry: never dialed over WebSocket
	var upgrades atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		if upgrades.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable) // the first attempt fails
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"v12.stomp", "v11.stomp", "v10.stomp"}})
		if err != nil {
			return
		}
		back, err := net.Dial("tcp", b.Addr())
		if err != nil {
			_ = c.Close(websocket.StatusTryAgainLater, "no backend")
			return
		}
		testnet.Forward(websocket.NetConn(ctx, c, websocket.MessageBinary), back)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(func() {
		cancel()
		srv.Close()
		wg.Wait()
	})
	url := "ws://" + srv.Listener.Addr().String() + "/stomp"
	uh, up := hostPort(t, srv.Listener.Addr().String())

	s := newClient(t, WithWebSocketURL(url), WithTimeout(5*time.Second), WithFailoverServers(other.Addr()),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxAttempts: 5}))
	require.NoError(t, s.Connect("", 0))
	require.GreaterOrEqual(t, upgrades.Load(), int64(2), "the first upgrade was refused, a later one answered")
	require.Empty(t, other.Connections(), "the failover entry was never dialed")
	h, p, ok := s.ConnectedServer()
	require.True(t, ok)
	require.Equal(t, strings.ToLower(uh)+":"+strconv.Itoa(up), strings.ToLower(h)+":"+strconv.Itoa(p),
		"over WebSocket the broker is the URL's host and port, not a failover entry never dialed")
}
