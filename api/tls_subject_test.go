package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reference class writes a certificate subject as its fields joined
// by ", " ("CN=me, O=stompactor tests"), and a porting program's
// SSLCertSubject holds the whole subject in that form. It must pick the
// certificate whose subject that is, as it does when written with Go's
// "," separator.
func TestCertSubjectInTheReferenceFormPicksTheCertificate(t *testing.T) {
	clientCA := newCA(t, "client CA")
	tb := newTLSBroker(t, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = clientCA.pool()
	})
	me := clientCA.issue(t, "me", true, false)
	for _, subject := range []string{"CN=me,O=stompactor tests", "CN=me, O=stompactor tests"} {
		t.Run(subject, func(t *testing.T) {
			s := newClient(t, WithSSL(SSLSettings{Enabled: true, CertStore: me.certPEM + me.keyPEM, CertSubject: subject}),
				WithSSLServerCACerts(tb.ca.pem()))
			require.NoError(t, s.Connect(tb.host, tb.port))
			assert.Equal(t, "me", recv(t, tb.clients))
		})
	}
}

// subjectCert is a certificate whose subject has the fields the
// reference's subject form is tested against, e-mail among them.
func subjectCert(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject: pkix.Name{CommonName: "me", Organization: []string{"Example, Inc."}, OrganizationalUnit: []string{"Dev"},
			Country: []string{"US"}, ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "me+stomp@example.org"}}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

// SSLCertSubject written field by field, as the reference writes a
// subject, matches when each field given is one of the certificate's;
// a partial value still matches as part of Go's form of the subject.
func TestCertSubjectMatchesFieldByField(t *testing.T) {
	cert := subjectCert(t)
	for _, want := range []string{
		"", "*", "me", "ME", cert.Subject.String(),
		"CN=me, O=Example, Inc.",
		"cn=ME ,  o = example, inc. ",
		"C=US, OU=Dev, CN=me",
		`O="Example, Inc.", CN=me`,
		`O=Example\, Inc.`,
		"E=me+stomp@example.org",
		"CN=me, E=me+stomp@example.org, O=Example, Inc.",
		"EMAIL=me+stomp@example.org+CN=me",
		"EmailAddress=ME+STOMP@example.org",
		"2.5.4.3=me, OID.2.5.4.6=US",
		"CN=me,",
	} {
		assert.True(t, subjectMatches(cert, want), "%q should pick %s", want, cert.Subject)
	}
	for _, want := range []string{
		"you",
		"CN=you",
		"CN=me, O=Other",
		"CN=me, O=Example",
		"E=other@example.org",
		"CN=me, X=1",
		"CN=me, OU=Dev, L=Paris",
		"=you",
		"2.x.4=me",
	} {
		assert.False(t, subjectMatches(cert, want), "%q should not pick %s", want, cert.Subject)
	}
}
