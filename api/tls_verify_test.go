package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expiredLeaf is a server certificate of ca for localhost and 127.0.0.1
// that expired an hour ago.
func expiredLeaf(t *testing.T, ca *testCA) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// An expired server certificate is ErrCertRejected, with the
// x509.CertificateInvalidError (Expired) in the chain.
func TestAnExpiredServerCertIsCertRejected(t *testing.T) {
	noLeaks(t)
	b := newBroker(t)
	ca := newCA(t, "CA")
	h, p, _ := tlsFront(t, &tls.Config{Certificates: []tls.Certificate{expiredLeaf(t, ca)}}, b.Addr())
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(ca.pem()))
	err := s.Connect(h, p)
	require.ErrorIs(t, err, ErrCertRejected)
	var ce x509.CertificateInvalidError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, x509.Expired, ce.Reason)
}

// An OnSSLServerAuthentication handler that does not return (asks a
// person, say) holds the handshake: Connect must still return at its
// timeout.
func TestASlowSSLHandlerIsBoundedByTheTimeout(t *testing.T) {
	tb := newTLSBroker(t, nil)
	release := make(chan struct{})
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithConnectionTimeout(300*time.Millisecond))
	t.Cleanup(func() { close(release) }) // runs before the client's Close
	s.OnSSLServerAuthentication(func(e *SSLServerAuthenticationEvent) { <-release; e.Accept = true })
	start := time.Now()
	err := s.Connect(tb.host, tb.port)
	assert.ErrorIs(t, err, ErrTimeout, "got code %d: %v", codeOf(err), err)
	assert.Less(t, time.Since(start), 3*time.Second)
}

// A resumed TLS session is verified again: once the CA is no longer
// trusted, the next Connect is refused even though a session ticket of
// the earlier connection is cached.
func TestAResumedSessionIsVerifiedAgain(t *testing.T) {
	tb := newTLSBroker(t, nil)
	stranger := newCA(t, "stranger")
	s := newClient(t, WithSSL(SSLSettings{Enabled: true}), WithSSLServerCACerts(tb.ca.pem()))
	require.NoError(t, s.Connect(tb.host, tb.port))
	roundTrip(t, s) // the ticket arrives with the first reads
	require.NoError(t, s.Disconnect())
	require.NoError(t, s.Connect(tb.host, tb.port))
	st, _ := s.TLSConnectionState()
	t.Logf("resumed: %v", st.DidResume)
	require.NoError(t, s.Disconnect())
	require.NoError(t, s.SetSSLAcceptServerCertEncoded(""))
	_, err := s.Config("SSLServerCACerts=" + stranger.pem())
	require.NoError(t, err)
	err = s.Connect(tb.host, tb.port)
	assert.ErrorIs(t, err, ErrCertRejected, "got %v", err)
}
