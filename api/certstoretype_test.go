package api

import (
	"crypto/tls"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reference's ssl_cert_store_type numbers its store kinds: 2 a
// PKCS#12 (PFX) file, 3 a PKCS#12 blob, 6 a PEM file holding certificate
// and key, 7 the same PEM given inline, 99 automatic. CertStoreType is an
// int, so a ported SetSSLCertStoreType(2) compiles; it must mean what it
// meant in the ported program (as FirewallType keeps the reference's 0,
// 1, 2, 3, 10 and SSLEnabledProtocols takes its bit values), or be
// refused, not silently read the store as another kind.
func TestCertStoreTypeTakesTheReferenceNumbers(t *testing.T) {
	clientCA := newCA(t, "client CA")
	tb := newTLSBroker(t, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = clientCA.pool()
	})
	me := clientCA.issue(t, "me", true, false)
	st := makeClientStores(t, clientCA, me)
	for _, tc := range []struct {
		name  string
		typ   int
		store string
	}{
		{"2 = PFX file", 2, writeFile(t, "me.pfx", st.modernPFX)},
		{"6 = PEM key file", 6, writeFile(t, "me.pem", []byte(st.pkcs8PEM))},
		{"7 = PEM key blob", 7, st.pkcs8PEM},
		{"99 = auto", 99, writeFile(t, "me2.pfx", st.modernPFX)},
		{"3 = PFX blob", 3, base64.StdEncoding.EncodeToString(st.modernPFX)},
		{"0 = auto (Go's zero value)", 0, st.pkcs8PEM},
		{"99 = auto, inline PEM", 99, st.pkcs8PEM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newClient(t, WithSSL(SSLSettings{Enabled: true, CertStorePassword: storePassword}), WithSSLServerCACerts(tb.ca.pem()))
			require.NoError(t, s.SetSSLCertStore(tc.store))
			require.NoError(t, s.SetSSLCertStoreType(CertStoreType(tc.typ)), "the reference's store type %d", tc.typ)
			require.NoError(t, s.Connect(tb.host, tb.port), "store type %d (%s)", tc.typ, tc.name)
			assert.Equal(t, "me", recv(t, tb.clients))
		})
	}
}

// The constants carry the reference's numbers; its kinds this version
// cannot read are ErrUnsupported, other numbers ErrInvalidArgument, and a
// refused type leaves the setting as it was.
func TestCertStoreTypeRefusals(t *testing.T) {
	assert.Equal(t, []CertStoreType{0, 2, 3, 6, 7, 99},
		[]CertStoreType{CertStoreAuto, CertStorePFXFile, CertStorePFXBlob, CertStorePEMFile, CertStorePEMBlob, CertStoreAutoDetect})
	s := newClient(t)
	require.NoError(t, s.SetSSLCertStoreType(CertStorePEMFile))
	for _, n := range []int{1, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23} {
		err := s.SetSSLCertStoreType(CertStoreType(n))
		require.ErrorIs(t, err, ErrUnsupported, "the reference's store type %d", n)
		assert.NotErrorIs(t, err, ErrInvalidArgument, "store type %d", n)
		assert.Contains(t, err.Error(), "not supported", "store type %d", n)
	}
	for _, n := range []int{-1, 24, 42, 98, 100} {
		require.ErrorIs(t, s.SetSSLCertStoreType(CertStoreType(n)), ErrInvalidArgument, "store type %d", n)
	}
	assert.Equal(t, CertStorePEMFile, s.SSLCertStoreType(), "a refused type changes nothing")
	// An option's refusal is Connect's error, before anything is dialed.
	err := newClient(t, WithSSL(SSLSettings{CertStoreType: 4})).Connect("127.0.0.1", 1)
	require.ErrorIs(t, err, ErrUnsupported, "through WithSSL")
}
