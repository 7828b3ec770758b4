package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/stompactor/stompactor/sim"
)

// A PKCS#12 client certificate is opened with --tls-cert-password, or
// with STOMP_TLS_CERT_PASSWORD; a wrong or missing password fails with a
// clear error that does not echo it.
func TestTLSCertPasswordOpensAPKCS12Store(t *testing.T) {
	ca := newCertAuthority(t)
	addr := tlsFrontRequiringClientCert(t, ca)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600))
	key, cert := ca.issue(t, "client", false)
	const password = "p12-s3cret-pw"
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, password)
	require.NoError(t, err)
	store := filepath.Join(dir, "client.p12")
	require.NoError(t, os.WriteFile(store, pfx, 0o600))

	send := func(extra ...string) result {
		args := append([]string{"send", "--receipt", "--server", "stomp+ssl://guest:guest@" + addr, "--tls-ca", caFile, "--tls-cert", store}, extra...)
		return stomp(t, "", append(args, "/queue/cert", "signed")...)
	}
	r := send("--tls-cert-password", password)
	assert.Equal(t, 0, r.code, r.stderr)

	r = send("--tls-cert-password", "wrong-password")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, "SSLCertStorePassword does not open")
	assert.NotContains(t, r.stderr, "wrong-password")

	r = send()
	assert.Equal(t, exitFailure, r.code, "no password: the store cannot be opened")

	t.Setenv("STOMP_TLS_CERT_PASSWORD", password)
	r = send()
	assert.Equal(t, 0, r.code, r.stderr)
}

type certAuthority struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newCertAuthority(t *testing.T) *certAuthority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stompactor test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &certAuthority{key: key, cert: cert}
}

// issue signs a server certificate for 127.0.0.1, or a client one.
func (ca *certAuthority) issue(t *testing.T, name string, server bool) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return key, cert
}

// tlsFrontRequiringClientCert serves TLS on an ephemeral port, requiring a
// client certificate signed by ca, in front of a simulator.
func tlsFrontRequiringClientCert(t *testing.T, ca *certAuthority) string {
	t.Helper()
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	key, cert := ca.issue(t, "127.0.0.1", true)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12,
	})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				back, err := net.Dial("tcp", b.Addr())
				if err != nil {
					return
				}
				defer back.Close()
				done := make(chan struct{})
				go func() { _, _ = io.Copy(back, c); _ = back.Close(); close(done) }()
				_, _ = io.Copy(c, back)
				_ = c.Close()
				<-done
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}
