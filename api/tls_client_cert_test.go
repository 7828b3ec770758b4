package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A broker that refuses the client's certificate gives ErrTLSFailed (208)
// whose message says so, with TLS 1.3 (where the server's alert arrives
// on the first read after the handshake, and was 202 ErrConnectFailed) as
// with TLS 1.2 (where it ends the handshake): with no certificate
// configured, with one Go did not send because its CA is not among those
// the server accepts (the message says it was not sent), and with one
// sent and refused. Found by the transport review.
func TestARefusedClientCertificateIsTLSFailed(t *testing.T) {
	clientCA := newCA(t, "client CA")
	stranger := newCA(t, "stranger")
	tb := newTLSBroker(t, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = clientCA.pool()
	})
	// A server that asks for any certificate and refuses the one it gets.
	picky := newTLSBroker(t, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAnyClientCert
		c.VerifyPeerCertificate = func([][]byte, [][]*x509.Certificate) error { return errors.New("not you") }
	})
	strangerCert := stranger.issue(t, "me", true, false)
	withCert := SSLSettings{Enabled: true, CertStore: strangerCert.certPEM + strangerCert.keyPEM}
	cases := map[string]struct {
		broker *tlsBroker
		ssl    SSLSettings
		want   string
	}{
		"no client certificate":          {tb, SSLSettings{Enabled: true}, "no client certificate is configured"},
		"certificate of an untrusted CA": {tb, withCert, "was not sent because it does not match the CAs the server accepts"},
		"certificate sent and refused":   {picky, withCert, "the client sent CN=me"},
	}
	for name, tc := range cases {
		for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
			t.Run(name+" "+tls.VersionName(version), func(t *testing.T) {
				noLeaks(t)
				s := newClient(t, WithSSL(tc.ssl), WithSSLServerCACerts(tc.broker.ca.pem()), WithSSLEnabledProtocols(version, version), WithTimeout(5*time.Second))
				err := s.Connect(tc.broker.host, tc.broker.port)
				require.Error(t, err)
				t.Logf("code %d: %v", codeOf(err), err)
				assert.ErrorIs(t, err, ErrTLSFailed, "got code %d: %v", codeOf(err), err)
				assert.Contains(t, errString(err), "the broker refused the client certificate")
				assert.Contains(t, errString(err), tc.want)
			})
		}
	}
}

// The same over wss://, where the refusal reaches the client while it
// sends the upgrade request (it was 202 ErrConnectFailed, a WebSocket I/O
// error).
func TestARefusedClientCertificateOverWSSIsTLSFailed(t *testing.T) {
	b := newBroker(t)
	ca := newCA(t, "server CA")
	leaf := ca.issue(t, "localhost", false, true, "localhost")
	ws, _ := wsBridge(t, nil, b.Addr())
	clientCA := newCA(t, "client CA")
	h, p, _ := tlsFront(t, &tls.Config{Certificates: []tls.Certificate{leaf.tls},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.pool()},
		strings.TrimSuffix(strings.TrimPrefix(ws, "ws://"), "/stomp"))
	s := newClient(t, WithWebSocketURL("wss://"+net.JoinHostPort(h, strconv.Itoa(p))+"/stomp"),
		WithSSLServerCACerts(ca.pem()), WithTimeout(5*time.Second))
	err := s.Connect("", 0)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTLSFailed, "got code %d: %v", codeOf(err), err)
	assert.Contains(t, errString(err), "the broker refused the client certificate")
}

// intermediate is a CA that root signed.
func intermediate(t *testing.T, root *testCA) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "intermediate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.Cert, &key.PublicKey, root.Key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	out := newCA(t, "unused")
	out.Cert, out.Key = cert, key
	return out
}

// SSLCACerts sends the intermediate after the client
// certificate, so a server that trusts only the root accepts it.
func TestSSLCACertsCompletesTheClientChain(t *testing.T) {
	root := newCA(t, "client root")
	inter := intermediate(t, root)
	tb := newTLSBroker(t, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = root.pool()
	})
	me := inter.issue(t, "me", true, false)
	s := newClient(t, WithSSL(SSLSettings{Enabled: true, CertStore: me.certPEM + me.keyPEM}),
		WithSSLServerCACerts(tb.ca.pem()), WithSSLCACerts(inter.pem()))
	require.NoError(t, s.Connect(tb.host, tb.port))
	assert.Equal(t, "me", recv(t, tb.clients))
	roundTrip(t, s)
}
