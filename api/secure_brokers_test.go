package api

// TLS and proxies against the real servers of scripts/brokers/up.sh
// (RabbitMQ with its TLS listener, dante, tinyproxy), all through
// api.STOMP: connect, send, receive. They skip when the environment does
// not name the servers, and fail instead under CI=true.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rabbit returns the options every RabbitMQ client needs.
func rabbit(opts ...Option) []Option {
	return append([]Option{WithUser("guest"), WithPassword("guest"), WithVirtualHost("/")}, opts...)
}

func TestRabbitMQOverTLS(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_TLS_ADDR", "STOMPACTOR_TLS_CA", "STOMPACTOR_TLS_CLIENT_CERT", "STOMPACTOR_TLS_CLIENT_KEY")
	h, p := hostPort(t, env[0])
	caPath, certPath, keyPath := env[1], env[2], env[3]
	caPEM, err := os.ReadFile(caPath)
	require.NoError(t, err)

	t.Run("CA file", func(t *testing.T) {
		s := newClient(t, rabbit(WithSSL(SSLSettings{Enabled: true}), WithSSLCACertFilePaths(caPath))...)
		require.NoError(t, s.Connect(h, p))
		roundTrip(t, s)
		proto, err := s.Config("SSLNegotiatedProtocol")
		require.NoError(t, err)
		assert.Contains(t, []string{"TLS1.2", "TLS1.3"}, proto)
		assert.Contains(t, s.SSLServerCertEncoded(), "-----BEGIN CERTIFICATE-----")
	})
	t.Run("CA inline, by host name", func(t *testing.T) {
		s := newClient(t, rabbit(WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(string(caPEM)))...)
		require.NoError(t, s.Connect("localhost", p))
		roundTrip(t, s)
	})
	t.Run("client certificate", func(t *testing.T) {
		certPEM, err := os.ReadFile(certPath)
		require.NoError(t, err)
		ssl := SSLSettings{Enabled: true, CertEncoded: string(certPEM), CertStore: keyPath, CertStoreType: CertStorePEMFile}
		s := newClient(t, rabbit(WithSSL(ssl), WithSSLCACertFilePaths(caPath))...)
		require.NoError(t, s.Connect(h, p))
		roundTrip(t, s)
	})
	t.Run("wrong CA", func(t *testing.T) {
		stranger := filepath.Join(t.TempDir(), "stranger.pem")
		require.NoError(t, os.WriteFile(stranger, []byte(newCA(t, "stranger").pem()), 0o600))
		s := newClient(t, rabbit(WithSSL(SSLSettings{Enabled: true}), WithSSLCACertFilePaths(stranger))...)
		err := s.Connect(h, p)
		require.ErrorIs(t, err, ErrCertRejected)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 207, e.Code)
		assert.Contains(t, e.Message, "unknown authority")
	})
	t.Run("accepted by the event", func(t *testing.T) {
		s := newClient(t, rabbit(WithSSL(SSLSettings{Enabled: true}))...)
		var status string
		s.OnSSLServerAuthentication(func(e *SSLServerAuthenticationEvent) {
			status = e.Status
			e.Accept = true
		})
		require.NoError(t, s.Connect(h, p))
		roundTrip(t, s)
		assert.Contains(t, status, "unknown authority")
	})
}

func TestRabbitMQThroughProxies(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_ADDR", "STOMPACTOR_SOCKS_ADDR", "STOMPACTOR_HTTP_PROXY_ADDR",
		"STOMPACTOR_HTTP_PROXY_AUTH_ADDR", "STOMPACTOR_HTTP_PROXY_USER", "STOMPACTOR_HTTP_PROXY_PASS")
	h, p := hostPort(t, env[0])
	socksHost, socksPort := hostPort(t, env[1])
	tunHost, tunPort := hostPort(t, env[2])
	authHost, authPort := hostPort(t, env[3])
	user, pass := env[4], env[5]
	for name, fw := range map[string]Firewall{
		"SOCKS5":              {Type: FirewallSOCKS5, Host: socksHost, Port: socksPort},
		"SOCKS4":              {Type: FirewallSOCKS4, Host: socksHost, Port: socksPort},
		"tunnel":              {Type: FirewallTunnel, Host: tunHost, Port: tunPort},
		"tunnel with a login": {Type: FirewallTunnel, Host: authHost, Port: authPort, User: user, Password: pass},
	} {
		t.Run(name, func(t *testing.T) {
			s := newClient(t, rabbit(WithFirewall(fw))...)
			require.NoError(t, s.Connect(h, p))
			roundTrip(t, s)
		})
	}
	t.Run("SOCKS5 to a host name", func(t *testing.T) {
		s := newClient(t, rabbit(WithFirewall(Firewall{Type: FirewallSOCKS5, Host: socksHost, Port: socksPort}))...)
		require.NoError(t, s.Connect("localhost", p))
		roundTrip(t, s)
	})
	t.Run("tunnel with a wrong password", func(t *testing.T) {
		fw := Firewall{Type: FirewallTunnel, Host: authHost, Port: authPort, User: user, Password: "not-" + pass}
		s := newClient(t, rabbit(WithFirewall(fw))...)
		err := s.Connect(h, p)
		require.ErrorIs(t, err, ErrProxyFailed)
		assert.NotContains(t, err.Error(), "not-"+pass)
	})
	t.Run("tunnel without the login", func(t *testing.T) {
		s := newClient(t, rabbit(WithFirewall(Firewall{Type: FirewallTunnel, Host: authHost, Port: authPort}))...)
		require.ErrorIs(t, s.Connect(h, p), ErrProxyFailed)
	})
	t.Run("auto-detected SOCKS5", func(t *testing.T) {
		t.Setenv("HTTPS_PROXY", "")
		t.Setenv("https_proxy", "")
		t.Setenv("ALL_PROXY", "socks5://"+env[1])
		t.Setenv("NO_PROXY", "")
		t.Setenv("no_proxy", "")
		s := newClient(t, rabbit(WithFirewall(Firewall{AutoDetect: true}), WithLogLevel(2))...)
		logs := collect(s.OnLog)
		require.NoError(t, s.Connect(h, p))
		roundTrip(t, s)
		waitFor(t, "the proxy in the log", func() bool {
			for {
				select {
				case l := <-logs:
					if l.Message == "connecting to "+env[0]+" through the socks5 proxy at "+env[1]+" (ALL_PROXY)" {
						return true
					}
				default:
					return false
				}
			}
		})
	})
}

// The full chain against the real servers: TCP to dante or tinyproxy, a
// tunnel to RabbitMQ's TLS port, TLS end to end.
func TestRabbitMQOverTLSThroughProxies(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_TLS_ADDR", "STOMPACTOR_TLS_CA", "STOMPACTOR_SOCKS_ADDR", "STOMPACTOR_HTTP_PROXY_ADDR")
	h, p := hostPort(t, env[0])
	socksHost, socksPort := hostPort(t, env[2])
	tunHost, tunPort := hostPort(t, env[3])
	for name, fw := range map[string]Firewall{
		"SOCKS5": {Type: FirewallSOCKS5, Host: socksHost, Port: socksPort},
		"tunnel": {Type: FirewallTunnel, Host: tunHost, Port: tunPort},
	} {
		t.Run(name, func(t *testing.T) {
			s := newClient(t, rabbit(WithFirewall(fw), WithSSL(SSLSettings{Enabled: true}), WithSSLCACertFilePaths(env[1]))...)
			require.NoError(t, s.Connect(h, p))
			roundTrip(t, s)
		})
	}
}
