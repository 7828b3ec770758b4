package api

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"
)

// An inline PKCS#12 store (CertStorePFXBlob, base64) holds the private key
// as inline PEM does: String, %v, %+v and %#v (of the value and of a
// pointer) show it by its length only. Found by the transport review.
func TestSSLSettingsStringHidesAnInlinePFX(t *testing.T) {
	ca := newCA(t, "CA")
	c := ca.issue(t, "me", true, false)
	leaf, err := x509.ParseCertificate(c.tls.Certificate[0])
	require.NoError(t, err)
	pfx, err := pkcs12.Modern.Encode(c.tls.PrivateKey, leaf, nil, "")
	require.NoError(t, err)
	blob := base64.StdEncoding.EncodeToString(pfx)
	ssl := SSLSettings{Enabled: true, CertStore: blob, CertStoreType: CertStorePFXBlob}

	// The store is good: it opens and connects a client certificate.
	s := newClient(t, WithSSL(ssl))
	require.Equal(t, ssl.CertStore, s.SSL().CertStore)

	for _, text := range []string{ssl.String(), fmt.Sprintf("%v", ssl), fmt.Sprintf("%+v", ssl), fmt.Sprintf("%#v", ssl), fmt.Sprintf("%v", &ssl)} {
		assert.NotContains(t, text, blob[:16], "the PKCS#12 store, private key included, is printed")
		assert.Contains(t, text, fmt.Sprintf("<inline PKCS#12, %dB>", len(blob)))
	}
	// Inline PEM given as CertStorePEMBlob is hidden too.
	pem := SSLSettings{CertStore: c.certPEM + c.keyPEM, CertStoreType: CertStorePEMBlob}
	assert.NotContains(t, pem.String(), c.keyPEM[40:80])
	// A file name is shown as it is.
	assert.Contains(t, SSLSettings{CertStore: "/etc/client.p12", CertStoreType: CertStorePFXFile}.String(), "/etc/client.p12")
}
