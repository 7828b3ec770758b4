package main

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/stompactor/stompactor/internal/testcert"
	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stompactor/stompactor/sim"
)

// A PKCS#12 client certificate is opened with --tls-cert-password, or
// with STOMP_TLS_CERT_PASSWORD; a wrong or missing password fails with a
// clear error that does not echo it.
func TestTLSCertPasswordOpensAPKCS12Store(t *testing.T) {
	ca := testcert.New(t, "stompactor test CA")
	addr := tlsFrontRequiringClientCert(t, ca)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, []byte(ca.PEM()), 0o600))
	client := ca.Issue(t, "client", testcert.Options{Client: true})
	const password = "p12-s3cret-pw"
	pfx, err := pkcs12.Modern.Encode(client.Key, client.Cert, nil, password)
	require.NoError(t, err)
	store := filepath.Join(dir, "client.p12")
	require.NoError(t, os.WriteFile(store, pfx, 0o600))

	send := func(extra ...string) result {
		args := append([]string{"send", "--receipt", "--server", "stomp+ssl://guest:guest@" + addr, "--tls-ca", caFile, "--tls-cert", store}, extra...)
		return stomp(t, "", append(args, "/queue/cert", "signed")...)
	}
	r := send("--tls-cert-password", password)
	assert.Equal(t, 0, r.code, r.stderr)

	// Found before dialing, and no retry would open it: bad usage, as
	// every setting the library refuses before it dials.
	r = send("--tls-cert-password", "wrong-password")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "SSLCertStorePassword does not open")
	assert.NotContains(t, r.stderr, "wrong-password")

	r = send()
	assert.Equal(t, exitUsage, r.code, "no password: the store cannot be opened")

	t.Setenv("STOMP_TLS_CERT_PASSWORD", password)
	r = send()
	assert.Equal(t, 0, r.code, r.stderr)
}

// tlsFrontRequiringClientCert serves TLS on an ephemeral port, requiring a
// client certificate signed by ca, in front of a simulator.
func tlsFrontRequiringClientCert(t *testing.T, ca *testcert.CA) string {
	t.Helper()
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{ca.Issue(t, "127.0.0.1", testcert.Localhost).TLS},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool(), MinVersion: tls.VersionTLS12,
	})
	require.NoError(t, err)
	testnet.Serve(t, ln, func(c net.Conn) {
		back, err := net.Dial("tcp", b.Addr())
		if err != nil {
			return
		}
		testnet.Forward(c, back)
	})
	return ln.Addr().String()
}
