package api

import (
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFirewallTunnel(t *testing.T) {
	b := newBroker(t)
	p := newConnectProxy(t, "", "")
	h, port := hostPort(t, b.Addr())
	s := newClient(t, WithFirewall(Firewall{Type: FirewallTunnel, Host: p.host, Port: p.port}), WithLogLevel(2))
	logs := collect(s.OnLog)
	require.NoError(t, s.Connect(h, port))
	roundTrip(t, s)
	assert.Equal(t, int32(1), p.tunnels.Load())
	want := "connecting to " + b.Addr() + " through the tunnel proxy at " + net.JoinHostPort(p.host, strconv.Itoa(p.port)) + " (FirewallType)"
	waitFor(t, "the log line", func() bool {
		for {
			select {
			case l := <-logs:
				if l.Message == want {
					return true
				}
			default:
				return false
			}
		}
	})
}

func TestFirewallTunnelAuthentication(t *testing.T) {
	b := newBroker(t)
	p := newConnectProxy(t, "proxyuser", "proxy-secret")
	h, port := hostPort(t, b.Addr())
	fw := Firewall{Type: FirewallTunnel, Host: p.host, Port: p.port, User: "proxyuser", Password: "wrong-secret"}
	s := newClient(t, WithFirewall(fw))
	connected := collect(s.OnConnected)
	err := s.Connect(h, port)
	require.ErrorIs(t, err, ErrProxyFailed)
	var pe *transport.ProxyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, transport.ProxyAuthFailed, pe.Kind)
	assert.Equal(t, 407, pe.Code)
	assert.NotContains(t, err.Error(), "wrong-secret")
	ev := recv(t, connected)
	assert.Equal(t, CodeProxyFailed, ev.StatusCode)
	assert.NotContains(t, ev.Description, "wrong-secret")

	require.NoError(t, s.SetFirewallPassword("proxy-secret"))
	require.NoError(t, s.Connect(h, port))
	roundTrip(t, s)
	assert.Equal(t, int32(1), p.tunnels.Load())
}

// TLS runs end to end through the tunnel: the proxy sees only ciphertext.
func TestFirewallTunnelThenTLS(t *testing.T) {
	tb := newTLSBroker(t, nil)
	p := newConnectProxy(t, "", "")
	s := newClient(t, WithFirewall(Firewall{Type: FirewallTunnel, Host: p.host, Port: p.port}),
		WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
	require.NoError(t, s.Connect(tb.host, tb.port))
	roundTrip(t, s)
	assert.Equal(t, int32(1), p.tunnels.Load())
	st, ok := s.TLSConnectionState()
	require.True(t, ok)
	assert.Equal(t, uint16(tls.VersionTLS13), st.Version)
}

func TestFirewallFailures(t *testing.T) {
	b := newBroker(t)
	h, port := hostPort(t, b.Addr())
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	_, closed := hostPort(t, ln.Addr().String())
	require.NoError(t, ln.Close())
	for _, typ := range []FirewallType{FirewallTunnel, FirewallSOCKS4, FirewallSOCKS4A, FirewallSOCKS5} {
		t.Run(typ.String()+" unreachable", func(t *testing.T) {
			s := newClient(t, WithFirewall(Firewall{Type: typ, Host: "127.0.0.1", Port: closed}))
			err := s.Connect(h, port)
			require.ErrorIs(t, err, ErrProxyFailed)
			var pe *transport.ProxyError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, transport.ProxyUnreachable, pe.Kind)
		})
	}
	t.Run("no host", func(t *testing.T) {
		s := newClient(t, WithFirewall(Firewall{Type: FirewallSOCKS5}))
		err := s.Connect(h, port)
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.Contains(t, err.Error(), "FirewallType socks5 needs a FirewallHost")
	})
	assert.Equal(t, 0, b.Stats().Accepted, "nothing went around the proxy")
}

func TestProxyExceptionsList(t *testing.T) {
	b := newBroker(t)
	p := newConnectProxy(t, "", "")
	h, port := hostPort(t, b.Addr())
	s := newClient(t, WithFirewall(Firewall{Type: FirewallTunnel, Host: p.host, Port: p.port}))
	_, err := s.Config("ProxyExceptionsList=broker.example; 127.0.0.0/8")
	require.NoError(t, err)
	got, err := s.Config("ProxyExceptionsList")
	require.NoError(t, err)
	assert.Equal(t, "broker.example;127.0.0.0/8", got)
	require.NoError(t, s.Connect(h, port))
	roundTrip(t, s)
	assert.Equal(t, int32(0), p.tunnels.Load(), "reached directly")

	_, err = s.Config("ProxyExceptionsList=10.0.0.0/99")
	assert.ErrorIs(t, err, ErrConnectedSetting, "connect-time setting")
	require.NoError(t, s.Disconnect())
	_, err = s.Config("ProxyExceptionsList=10.0.0.0/99")
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func TestFirewallAutoDetect(t *testing.T) {
	b := newBroker(t)
	p := newConnectProxy(t, "envuser", "env-secret")
	h, port := hostPort(t, b.Addr())
	t.Setenv("HTTPS_PROXY", "http://envuser:env-secret@"+net.JoinHostPort(p.host, strconv.Itoa(p.port)))
	t.Setenv("NO_PROXY", "")
	s := newClient(t, WithFirewall(Firewall{AutoDetect: true}))
	require.NoError(t, s.Connect(h, port))
	roundTrip(t, s)
	assert.Equal(t, int32(1), p.tunnels.Load())
	require.NoError(t, s.Disconnect())

	t.Setenv("NO_PROXY", "localhost,127.0.0.1")
	require.NoError(t, s.Connect(h, port))
	assert.Equal(t, int32(1), p.tunnels.Load(), "NO_PROXY names the broker")
	require.NoError(t, s.Disconnect())

	t.Setenv("HTTPS_PROXY", "https://"+net.JoinHostPort(p.host, strconv.Itoa(p.port)))
	t.Setenv("NO_PROXY", "")
	assert.ErrorIs(t, s.Connect(h, port), ErrUnsupported)
}

func TestDetectProxy(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want proxyRoute
		ok   bool
		err  error
	}{
		{map[string]string{}, proxyRoute{}, false, nil},
		{map[string]string{"https_proxy": "proxy:3128"}, proxyRoute{typ: FirewallTunnel, addr: "proxy:3128", from: "https_proxy"}, true, nil},
		{map[string]string{"HTTPS_PROXY": "http://u:p%40ss@proxy"}, proxyRoute{typ: FirewallTunnel, addr: "proxy:80", user: "u", pass: "p@ss", from: "HTTPS_PROXY"}, true, nil},
		{map[string]string{"ALL_PROXY": "socks5h://[::1]"}, proxyRoute{typ: FirewallSOCKS5, addr: "[::1]:1080", from: "ALL_PROXY"}, true, nil},
		{map[string]string{"all_proxy": "socks4://s:1081"}, proxyRoute{typ: FirewallSOCKS4, addr: "s:1081", from: "all_proxy"}, true, nil},
		{map[string]string{"ALL_PROXY": "socks4a://s", "HTTPS_PROXY": "http://h:1"}, proxyRoute{typ: FirewallTunnel, addr: "h:1", from: "HTTPS_PROXY"}, true, nil},
		{map[string]string{"ALL_PROXY": "socks4a://s"}, proxyRoute{typ: FirewallSOCKS4A, addr: "s:1080", from: "ALL_PROXY"}, true, nil},
		{map[string]string{"ALL_PROXY": "ftp://s"}, proxyRoute{}, false, ErrInvalidArgument},
		{map[string]string{"ALL_PROXY": "http://s:port"}, proxyRoute{}, false, ErrInvalidArgument},
		{map[string]string{"HTTPS_PROXY": "https://s"}, proxyRoute{}, false, ErrUnsupported},
	}
	for _, c := range cases {
		r, ok, err := detectProxy(func(k string) string { return c.env[k] })
		assert.Equal(t, c.ok, ok, "%v", c.env)
		assert.Equal(t, c.want, r, "%v", c.env)
		if c.err != nil {
			assert.True(t, errors.Is(err, c.err), "%v: %v", c.env, err)
		} else {
			assert.NoError(t, err)
		}
	}
}

func TestBypass(t *testing.T) {
	cases := []struct {
		host string
		port int
		list []string
		want bool
	}{
		{"broker", 61613, nil, false},
		{"broker", 61613, []string{"*"}, true},
		{"Broker.", 61613, []string{"broker"}, true},
		{"a.broker", 61613, []string{"broker"}, true},
		{"abroker", 61613, []string{"broker"}, false},
		{"broker", 61613, []string{".broker"}, false},
		{"a.broker", 61613, []string{"*.broker"}, true},
		{"a.broker", 61613, []string{".broker"}, true},
		{"10.1.2.3", 61613, []string{"10.0.0.0/8"}, true},
		{"11.1.2.3", 61613, []string{"10.0.0.0/8"}, false},
		{"::1", 61613, []string{"[::1]"}, true},
		{"::1", 61613, []string{"::1"}, true},
		{"127.0.0.1", 61613, []string{"127.0.0.1:61613"}, true},
		{"127.0.0.1", 61614, []string{"127.0.0.1:61613"}, false},
		{"broker", 61613, []string{"broker:61614"}, false},
		{"10.1.2.3", 61613, []string{"broker"}, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, bypass(c.host, c.port, c.list), "%s:%d %v", c.host, c.port, c.list)
	}
}

// The firewall and ProxyExceptionsList decide for each broker dialed: a
// failover broker that is no exception goes through the proxy even when
// RemoteHost is an exception.
func TestFailoverUsesItsOwnProxyRoute(t *testing.T) {
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
