package api

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// certFor is a self-signed certificate for key with the given subject,
// in PEM.
func certFor(t *testing.T, key crypto.Signer, serial int64, subject pkix.Name) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func keyPEM(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// An SSLCertSubject written as fields picks only a certificate that has
// every field given, each value compared whole: never one whose subject
// merely holds the text (Go prints "O=Example, Inc." as
// "O=Example\, Inc.", which holds "O=Example"; "C=US" holds "C=U").
func TestCertSubjectWrittenAsFieldsNeverPicksACertificateWithoutThem(t *testing.T) {
	cert := subjectCert(t) // CN=me, OU=Dev, O=Example, Inc., C=US, E=me+stomp@example.org
	for _, want := range []string{
		"O=Example", "o=example", "OU=Dev,O=Example", "OU=Dev, O=Example", "C=U", "OU=De", "CN=m",
	} {
		assert.False(t, subjectMatches(cert, want), "%q picked %s, which does not have every field given", want, cert.Subject)
	}
	// A prefix of Go's form that is also fields the certificate has, and
	// a field as Go prints it, its value in hex.
	assert.True(t, subjectMatches(cert, "CN=me,OU=Dev"))
	assert.True(t, subjectMatches(cert, "CN=me,1.2.840.113549.1.9.1=#0c146d652b73746f6d70406578616d706c652e6f7267"))
	assert.False(t, subjectMatches(cert, "1.2.840.113549.1.9.1=#0c146d652b73746f6d70406578616d706c652e6f72"))

	// A field's value holding ",O=Example" is not an O field.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	block, _ := pem.Decode([]byte(certFor(t, key, 2, pkix.Name{CommonName: "me", OrganizationalUnit: []string{"Foo,O=Example"}})))
	tricky, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.Contains(t, strings.ToLower(tricky.Subject.String()), "o=example")
	assert.False(t, subjectMatches(tricky, "O=Example"), "picked %s", tricky.Subject)
	assert.True(t, subjectMatches(tricky, `OU=Foo\,O=Example`))

	// Text with '=' that is not fields picks nothing, though Go's form
	// holds it.
	for _, want := range []string{"=me", "N=me", "CN=me,X=1"} {
		assert.False(t, subjectMatches(cert, want), "%q picked %s", want, cert.Subject)
	}
}

// Two certificates for one key (a re-issue under another name, the
// other one first in the store): SSLCertSubject picks the one with the
// field, and a partial value prefers a certificate one of whose fields
// it is to one whose subject merely holds it.
func TestCertSubjectPicksTheCertificateWithTheField(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	store := certFor(t, key, 1, pkix.Name{CommonName: "me-admin", Organization: []string{"Example"}}) +
		certFor(t, key, 2, pkix.Name{CommonName: "me", Organization: []string{"Example"}}) + keyPEM(t, key)
	for want, cn := range map[string]string{
		"CN=me": "me", "CN=me, O=Example": "me", "cn=ME": "me", "me": "me", "ME": "me",
		"me-admin": "me-admin", "CN=me-admin": "me-admin", "admin": "me-admin",
		"": "me-admin", "*": "me-admin", "O=Example": "me-admin",
	} {
		t.Run(want, func(t *testing.T) {
			c := &config{sec: &secureConfig{ssl: SSLSettings{CertStore: store, CertStoreType: CertStorePEMBlob, CertSubject: want}}}
			got, err := c.clientCert()
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, cn, got.Leaf.Subject.CommonName, "SSLCertSubject %q picked %s", want, got.Leaf.Subject)
			assert.Len(t, got.Certificate, 2, "the other certificate follows as the chain")
		})
	}
	c := &config{sec: &secureConfig{ssl: SSLSettings{CertStore: store, CertStoreType: CertStorePEMBlob, CertSubject: "CN=m"}}}
	_, err = c.clientCert()
	assert.ErrorIs(t, err, ErrInvalidArgument)
}
