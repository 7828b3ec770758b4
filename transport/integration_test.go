package transport

// Tests against the real servers of scripts/brokers/up.sh (RabbitMQ with
// TLS, dante, tinyproxy). They skip when the environment does not name
// them, and fail instead under CI=true.

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stompHello sends CONNECT on conn and returns the command of the
// broker's answer.
func stompHello(t *testing.T, conn net.Conn) string {
	t.Helper()
	defer conn.Close()
	_, err := conn.Write([]byte("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\x00"))
	require.NoError(t, err)
	frame, err := bufio.NewReader(conn).ReadString(0)
	require.NoError(t, err)
	cmd, _, _ := strings.Cut(frame, "\n")
	return cmd
}

func brokerCA(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(path)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return pool
}

func TestRealSOCKS(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_SOCKS_ADDR", "STOMPACTOR_RABBITMQ_ADDR")
	socks, broker := env[0], env[1]
	_, port, _ := net.SplitHostPort(broker)
	cases := map[string]struct {
		dial   Dialer
		target string
	}{
		"SOCKS5 to an IP":     {SOCKS5(nil, socks, "", ""), broker},
		"SOCKS5 to a name":    {SOCKS5(nil, socks, "", ""), "localhost:" + port},
		"SOCKS4 to an IP":     {SOCKS4(nil, socks, "stompactor"), broker},
		"SOCKS4 to a name":    {SOCKS4(nil, socks, ""), "localhost:" + port},
		"SOCKS5 with a login": {SOCKS5(nil, socks, "nobody", "unused"), broker},
		// dante has no SOCKS 4a (it reads 0.0.0.1 as the destination), so
		// only 4a's IPv4 path is checked here; the unit tests check names.
		"SOCKS4A to an IP": {SOCKS4A(nil, socks, ""), broker},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			conn, err := c.dial(ctxFor(t, wait), "tcp", c.target)
			require.NoError(t, err)
			assert.Equal(t, "CONNECTED", stompHello(t, conn))
		})
	}
	t.Run("SOCKS5 refused destination", func(t *testing.T) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		closed := ln.Addr().String()
		require.NoError(t, ln.Close())
		_, err = SOCKS5(nil, socks, "", "")(ctxFor(t, wait), "tcp", closed)
		pe := proxyErr(t, err, ProxyRefused)
		assert.Equal(t, 5, pe.Code)
	})
	t.Run("SOCKS4 refused destination", func(t *testing.T) {
		_, err := SOCKS4(nil, socks, "")(ctxFor(t, wait), "tcp", "192.0.2.1:61613")
		pe := proxyErr(t, err, ProxyRefused)
		assert.Equal(t, 91, pe.Code)
	})
}

func TestRealHTTPConnect(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_HTTP_PROXY_ADDR", "STOMPACTOR_HTTP_PROXY_AUTH_ADDR",
		"STOMPACTOR_HTTP_PROXY_USER", "STOMPACTOR_HTTP_PROXY_PASS", "STOMPACTOR_RABBITMQ_ADDR")
	open, auth, user, pass, broker := env[0], env[1], env[2], env[3], env[4]
	t.Run("no authentication", func(t *testing.T) {
		conn, err := HTTPConnect(nil, open, "", "")(ctxFor(t, wait), "tcp", broker)
		require.NoError(t, err)
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("Basic authentication", func(t *testing.T) {
		conn, err := HTTPConnect(nil, auth, user, pass)(ctxFor(t, wait), "tcp", broker)
		require.NoError(t, err)
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("credentials missing", func(t *testing.T) {
		_, err := HTTPConnect(nil, auth, "", "")(ctxFor(t, wait), "tcp", broker)
		pe := proxyErr(t, err, ProxyAuthFailed)
		assert.Equal(t, 407, pe.Code)
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := HTTPConnect(nil, auth, user, "wrong-"+pass)(ctxFor(t, wait), "tcp", broker)
		pe := proxyErr(t, err, ProxyAuthFailed)
		assert.Contains(t, []int{401, 407}, pe.Code, "tinyproxy says 401")
		assert.NotContains(t, err.Error(), "wrong-"+pass)
	})
	t.Run("filtered host", func(t *testing.T) {
		_, err := HTTPConnect(nil, open, "", "")(ctxFor(t, wait), "tcp", "example.invalid:61613")
		pe := proxyErr(t, err, ProxyRefused)
		assert.Equal(t, 403, pe.Code)
	})
}

func TestRealTLS(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_TLS_ADDR", "STOMPACTOR_TLS_CA", "STOMPACTOR_TLS_CLIENT_CERT", "STOMPACTOR_TLS_CLIENT_KEY")
	addr, caPath, certPath, keyPath := env[0], env[1], env[2], env[3]
	roots := brokerCA(t, caPath)
	_, port, _ := net.SplitHostPort(addr)
	t.Run("with the CA", func(t *testing.T) {
		conn, err := TLS(nil, &tls.Config{RootCAs: roots})(ctxFor(t, wait), "tcp", addr)
		require.NoError(t, err)
		st, ok := ConnectionState(conn)
		require.True(t, ok)
		assert.GreaterOrEqual(t, st.Version, uint16(tls.VersionTLS12))
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("by name", func(t *testing.T) {
		conn, err := TLS(nil, &tls.Config{RootCAs: roots})(ctxFor(t, wait), "tcp", "localhost:"+port)
		require.NoError(t, err)
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("with a client certificate", func(t *testing.T) {
		cert, err := tls.LoadX509KeyPair(certPath, keyPath)
		require.NoError(t, err)
		conn, err := TLS(nil, &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}})(ctxFor(t, wait), "tcp", addr)
		require.NoError(t, err)
		assert.Equal(t, "CONNECTED", stompHello(t, conn))
	})
	t.Run("wrong CA", func(t *testing.T) {
		_, err := TLS(nil, &tls.Config{RootCAs: newCA(t, "stranger").pool})(ctxFor(t, wait), "tcp", addr)
		var ve *tls.CertificateVerificationError
		assert.ErrorAs(t, err, &ve)
	})
}

// The whole chain: TCP to a proxy, CONNECT through it, TLS to the broker.
func TestRealTLSThroughProxies(t *testing.T) {
	env := needEnv(t, "STOMPACTOR_RABBITMQ_TLS_ADDR", "STOMPACTOR_TLS_CA", "STOMPACTOR_SOCKS_ADDR", "STOMPACTOR_HTTP_PROXY_ADDR")
	addr, roots := env[0], brokerCA(t, env[1])
	for name, base := range map[string]Dialer{
		"SOCKS5": SOCKS5(nil, env[2], "", ""), "SOCKS4": SOCKS4(nil, env[2], ""), "HTTP": HTTPConnect(nil, env[3], "", ""),
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := TLS(base, &tls.Config{RootCAs: roots})(ctxFor(t, wait), "tcp", addr)
			require.NoError(t, err)
			assert.Equal(t, "CONNECTED", stompHello(t, conn))
		})
	}
}
