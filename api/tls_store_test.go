package api

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

const storePassword = "s3cret-store"

// clientStores are one client certificate and key in every form a store
// can take, all protected by storePassword.
type clientStores struct {
	modernPFX, legacyPFX []byte // PKCS#12: AES and PBKDF2, and 3DES with SHA-1
	pkcs8PEM, legacyPEM  string // certificate and encrypted key
}

func makeClientStores(t *testing.T, ca *testCA, c issued) clientStores {
	t.Helper()
	leaf, err := x509.ParseCertificate(c.tls.Certificate[0])
	require.NoError(t, err)
	var out clientStores
	out.modernPFX, err = pkcs12.Modern.Encode(c.tls.PrivateKey, leaf, []*x509.Certificate{ca.Cert}, storePassword)
	require.NoError(t, err)
	out.legacyPFX, err = pkcs12.LegacyDES.Encode(c.tls.PrivateKey, leaf, nil, storePassword)
	require.NoError(t, err)

	der, err := pkcs8.MarshalPrivateKey(c.tls.PrivateKey, []byte(storePassword), &pkcs8.Opts{
		Cipher: pkcs8.AES256CBC, KDFOpts: pkcs8.PBKDF2Opts{SaltSize: 16, IterationCount: 2048, HMACHash: crypto.SHA256},
	})
	require.NoError(t, err)
	out.pkcs8PEM = c.certPEM + string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}))

	plain, err := x509.MarshalECPrivateKey(c.tls.PrivateKey.(*ecdsa.PrivateKey))
	require.NoError(t, err)
	//lint:ignore SA1019 the test makes the legacy form the client must read
	block, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", plain, []byte(storePassword), x509.PEMCipherAES256)
	require.NoError(t, err)
	out.legacyPEM = c.certPEM + string(pem.EncodeToMemory(block))
	return out
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// A TLS server that requires a client certificate accepts the one read
// from a PKCS#12 store or an encrypted PEM key, opened with
// SSLCertStorePassword.
func TestTLSClientCertificateFromProtectedStores(t *testing.T) {
	clientCA := newCA(t, "client CA")
	tb := newTLSBroker(t, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = clientCA.pool()
	})
	st := makeClientStores(t, clientCA, clientCA.issue(t, "me", true, false))
	for name, ssl := range map[string]SSLSettings{
		"modern PKCS#12 file":           {CertStore: writeFile(t, "me.pfx", st.modernPFX), CertStoreType: CertStorePFXFile},
		"legacy PKCS#12 file":           {CertStore: writeFile(t, "me.p12", st.legacyPFX), CertStoreType: CertStorePFXFile},
		"PKCS#12 blob":                  {CertStore: base64.StdEncoding.EncodeToString(st.modernPFX), CertStoreType: CertStorePFXBlob},
		"PKCS#12 file found by Auto":    {CertStore: writeFile(t, "me.pfx", st.modernPFX)},
		"encrypted PKCS#8 key inline":   {CertStore: st.pkcs8PEM},
		"encrypted PKCS#8 key in file":  {CertStore: writeFile(t, "me.pem", []byte(st.pkcs8PEM)), CertStoreType: CertStorePEMFile},
		"legacy encrypted PEM key":      {CertStore: st.legacyPEM, CertStoreType: CertStorePEMBlob},
		"encrypted key in CertEncoded":  {CertEncoded: st.pkcs8PEM},
		"PKCS#12 picked by CertSubject": {CertStore: writeFile(t, "me.pfx", st.modernPFX), CertSubject: "CN=me"},
	} {
		t.Run(name, func(t *testing.T) {
			ssl.Enabled, ssl.CertStorePassword = true, storePassword
			s := newClient(t, WithSSL(ssl), WithSSLServerCACerts(tb.ca.pem()))
			require.NoError(t, s.Connect(tb.host, tb.port))
			assert.Equal(t, "me", recv(t, tb.clients))
			roundTrip(t, s)
		})
	}
}

func TestProtectedStoreErrors(t *testing.T) {
	ca := newCA(t, "CA")
	st := makeClientStores(t, ca, ca.issue(t, "me", true, false))
	pfxFile := writeFile(t, "me.pfx", st.modernPFX)
	pbes1 := pbes1Key(t)
	cases := map[string]struct {
		ssl  SSLSettings
		want error
		msg  string
	}{
		"PKCS#12 wrong password":        {SSLSettings{CertStore: pfxFile, CertStoreType: CertStorePFXFile, CertStorePassword: "guess"}, ErrInvalidArgument, "SSLCertStorePassword does not open the PKCS#12 store"},
		"legacy PKCS#12 wrong password": {SSLSettings{CertStore: base64.StdEncoding.EncodeToString(st.legacyPFX), CertStoreType: CertStorePFXBlob, CertStorePassword: "guess"}, ErrInvalidArgument, "SSLCertStorePassword does not open"},
		"PKCS#12 blob not base64":       {SSLSettings{CertStore: "%%%", CertStoreType: CertStorePFXBlob}, ErrInvalidArgument, "not base64"},
		"not a PKCS#12 store":           {SSLSettings{CertStore: writeFile(t, "junk.pfx", []byte("junk")), CertStoreType: CertStorePFXFile}, ErrInvalidArgument, "not a PKCS#12 store"},
		"PKCS#8 key without password":   {SSLSettings{CertStore: st.pkcs8PEM}, ErrInvalidArgument, "the private key is encrypted: set SSLCertStorePassword"},
		"PKCS#8 key wrong password":     {SSLSettings{CertStore: st.pkcs8PEM, CertStorePassword: "guess"}, ErrInvalidArgument, "SSLCertStorePassword does not decrypt the private key"},
		"legacy key wrong password":     {SSLSettings{CertStore: st.legacyPEM, CertStorePassword: "guess"}, ErrInvalidArgument, "SSLCertStorePassword does not decrypt"},
		"legacy key without password":   {SSLSettings{CertEncoded: st.legacyPEM}, ErrInvalidArgument, "SSLCertEncoded: the private key is encrypted"},
		"PBES1 PKCS#8 key":              {SSLSettings{CertStore: pbes1, CertStorePassword: storePassword}, ErrUnsupported, "re-encrypt it with PBES2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.ssl.Enabled = true
			s := newClient(t, WithSSL(tc.ssl))
			err := s.Connect("127.0.0.1", 1)
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
			if tc.ssl.CertStorePassword != "" {
				assert.NotContains(t, err.Error(), tc.ssl.CertStorePassword, "the password is never shown")
			}
		})
	}
}

// pbes1Key is a PEM "ENCRYPTED PRIVATE KEY" under pbeWithMD5AndDES-CBC,
// the PKCS#5 v1.5 scheme of openssl pkcs8 -v1: its contents do not matter,
// only that the scheme is named.
func pbes1Key(t *testing.T) string {
	t.Helper()
	params, err := asn1.Marshal(struct {
		Salt       []byte
		Iterations int
	}{make([]byte, 8), 2048})
	require.NoError(t, err)
	der, err := asn1.Marshal(struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 3}, Parameters: asn1.RawValue{FullBytes: params}}, make([]byte, 64)})
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}))
}

// An inline store given with SSLCertStoreType PEMFile is read as a file
// name; the error of that read must not quote the private key.
func TestCertStoreErrorHidesInlineKey(t *testing.T) {
	ca := newCA(t, "review CA")
	c := ca.issue(t, "client", true, false)
	keyBody := strings.Split(strings.TrimSpace(c.keyPEM), "\n")[1]
	var logs logSink
	s := newClient(t,
		WithSSL(SSLSettings{Enabled: true, CertStore: c.certPEM + c.keyPEM, CertStoreType: CertStorePEMFile}),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	err := s.Connect("127.0.0.1", 1)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		assert.NotContains(t, e.Error(), keyBody)
	}
	for _, l := range logs.all() {
		assert.NotContains(t, l, keyBody)
	}
}
