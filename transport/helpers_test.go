package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/internal/testcert"
	"github.com/stompactor/stompactor/internal/testnet"
)

// wait bounds every wait of the tests; short is the deadline given to
// dials that are meant to run out of time.
const (
	wait  = 10 * time.Second
	short = 200 * time.Millisecond
)

// fakeProxy returns a base dialer whose every connection is served by
// script on the other end of a net.Pipe. The test waits for the scripts
// to end.
func fakeProxy(t *testing.T, script func(c net.Conn)) Dialer {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		client, server := net.Pipe()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer server.Close()
			script(server)
		}()
		return client, nil
	}
}

// readN reads n bytes of the client's request.
func readN(c net.Conn, n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(c, b)
	return b
}

// drain reads until the client closes.
func drain(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// proxyErr asserts err is a *ProxyError of kind and returns it.
func proxyErr(t *testing.T, err error, kind ProxyErrorKind) *ProxyError {
	t.Helper()
	var pe *ProxyError
	require.True(t, errors.As(err, &pe), "want a *ProxyError, got %v", err)
	require.Equal(t, kind, pe.Kind, "%v", err)
	return pe
}

// testCA is a throw-away certificate authority (internal/testcert).
type testCA struct {
	*testcert.CA
	pool *x509.CertPool
}

func newCA(t *testing.T, name string) *testCA {
	ca := testcert.New(t, name)
	return &testCA{CA: ca, pool: ca.Pool()}
}

// leaf issues a server certificate for localhost and 127.0.0.1.
func (ca *testCA) leaf(t *testing.T) tls.Certificate {
	return ca.Issue(t, "localhost", testcert.Localhost).TLS
}

// tlsEcho serves TLS on 127.0.0.1:0 with a certificate of ca and echoes
// what it reads; it returns the address.
func tlsEcho(t *testing.T, ca *testCA) string {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.leaf(t)}})
	require.NoError(t, err)
	testnet.Serve(t, ln, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(wait))
		_, _ = io.Copy(c, c)
	})
	return ln.Addr().String()
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
