package main

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/internal/testcert"
	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stompactor/stompactor/sim"
)

// TestTLSInsecureWarnsOncePerRun: --tls-insecure works (a certificate no
// trusted root signed is accepted) and says on stderr, once per run
// however many --server it tries, that verification is off; without it
// nothing is said.
func TestTLSInsecureWarnsOncePerRun(t *testing.T) {
	ca := testcert.New(t, "untrusted CA")
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{ca.Issue(t, "127.0.0.1", testcert.Localhost).TLS}, MinVersion: tls.VersionTLS12,
	})
	require.NoError(t, err)
	testnet.Serve(t, ln, func(c net.Conn) {
		back, err := net.Dial("tcp", b.Addr())
		if err != nil {
			return
		}
		testnet.Forward(c, back)
	})
	// A port with no listener: the first --server fails, the second
	// connects.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := dead.Addr().String()
	require.NoError(t, dead.Close())

	srv := "stomp+ssl://guest:guest@" + ln.Addr().String()
	r := stomp(t, "", "send", "--receipt", "--tls-insecure", "--server", "stomp+ssl://guest:guest@"+deadAddr, "--server", srv, "/queue/insecure", "x")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "--tls-insecure"), r.stderr)
	assert.Contains(t, r.stderr, "not verified")

	r = stomp(t, "", "send", "--receipt", "--timeout", "5s", "--server", srv, "/queue/insecure", "x")
	assert.Equal(t, 1, r.code, "an unverified certificate is refused without --tls-insecure: %s", r.stderr)
	assert.NotContains(t, r.stderr, "--tls-insecure")
}
