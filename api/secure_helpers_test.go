package api

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/internal/testcert"
	"github.com/stompactor/stompactor/internal/testnet"
)

// testCA is a throw-away certificate authority (internal/testcert).
type testCA struct{ *testcert.CA }

func newCA(t *testing.T, name string) *testCA { return &testCA{testcert.New(t, name)} }

func (ca *testCA) pem() string { return ca.PEM() }

func (ca *testCA) pool() *x509.CertPool { return ca.Pool() }

// issued is a certificate of ca with its key.
type issued struct {
	tls     tls.Certificate
	certPEM string
	keyPEM  string
}

// issue makes a certificate named cn for the given DNS names (and
// 127.0.0.1 when withIP), for servers (client false) or clients.
func (ca *testCA) issue(t *testing.T, cn string, client, withIP bool, dns ...string) issued {
	t.Helper()
	o := testcert.Options{Client: client, DNSNames: dns, Organization: "stompactor tests"}
	if withIP {
		o.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	c := ca.Issue(t, cn, o)
	return issued{tls: c.TLS, certPEM: c.CertPEM, keyPEM: c.KeyPEM}
}

// relay serves ln, handing each connection to serve on a goroutine the
// test waits for.
func relay(t *testing.T, ln net.Listener, serve func(net.Conn)) (host string, port int) {
	t.Helper()
	testnet.Serve(t, ln, serve)
	return hostPort(t, ln.Addr().String())
}

// tlsFront terminates TLS with cfg on 127.0.0.1:0 and forwards the
// plain stream to backend. It returns its address and, after each
// handshake, the client certificate's subject ("" without one).
func tlsFront(t *testing.T, cfg *tls.Config, backend string) (string, int, <-chan string) {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	clients := make(chan string, 16)
	h, p := relay(t, ln, func(c net.Conn) {
		tc := c.(*tls.Conn)
		_ = tc.SetDeadline(time.Now().Add(wait))
		if tc.Handshake() != nil {
			return
		}
		_ = tc.SetDeadline(time.Time{})
		subject := ""
		if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
			subject = pc[0].Subject.CommonName
		}
		clients <- subject
		b, err := net.Dial("tcp", backend)
		if err != nil {
			return
		}
		testnet.Forward(tc, b)
	})
	return h, p, clients
}

// connectProxy is an HTTP CONNECT proxy on 127.0.0.1:0 that asks for
// Basic credentials when user is set; tunnels counts the tunnels opened.
type connectProxy struct {
	host    string
	port    int
	tunnels atomic.Int32
}

func newConnectProxy(t *testing.T, user, pass string) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	p := &connectProxy{}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	p.host, p.port = relay(t, ln, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil || req.Method != http.MethodConnect {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
			return
		}
		if user != "" && req.Header.Get("Proxy-Authorization") != want {
			_, _ = io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n\r\n")
			return
		}
		b, err := net.Dial("tcp", req.Host)
		if err != nil {
			_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
			return
		}
		p.tunnels.Add(1)
		_, _ = io.WriteString(c, "HTTP/1.0 200 Connection established\r\n\r\n")
		testnet.Forward(c, b)
	})
	return p
}

// roundTrip subscribes to a fresh queue, sends to it and waits for the
// message: the connection works end to end.
func roundTrip(t *testing.T, s *STOMP) {
	t.Helper()
	got := make(chan string, 1)
	dest := "/queue/stompactor-secure-" + time.Now().Format("150405.000000000")
	_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{Handler: func(e *MessageInEvent) {
		select {
		case got <- e.Text():
		default:
		}
	}})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage(dest, "through"))
	require.Equal(t, "through", recv(t, got))
}

// needEnv returns the values of the named environment variables, or skips
// the test when one is missing, failing instead under CI=true.
func needEnv(t *testing.T, names ...string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = os.Getenv(n)
		if out[i] == "" {
			msg := n + " is not set: start the test brokers with scripts/brokers/up.sh and source its env file"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return out
}
