// Package testcert makes throw-away certificate authorities, and the
// server and client certificates they sign, for tests. Keys are ECDSA
// P-256; every certificate is valid from an hour ago to an hour from now.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// CA is a certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// New makes a certificate authority named name.
func New(t testing.TB, name string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testcert: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testcert: %v", err)
	}
	return &CA{Cert: cert, Key: key}
}

// Pool is a pool holding only the CA's certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// PEM is the CA's certificate in PEM.
func (ca *CA) PEM() string { return CertPEM(ca.Cert.Raw) }

// Options say what a certificate is for.
type Options struct {
	Client       bool     // a client certificate; else a server's
	DNSNames     []string // names it is valid for
	IPAddresses  []net.IP // addresses it is valid for
	Organization string   // the subject's organization, if any
}

// Issued is a certificate the CA signed, with its key, in the forms tests
// need.
type Issued struct {
	TLS     tls.Certificate
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM string
	KeyPEM  string // PKCS #8
}

// Issue signs a certificate named cn.
func (ca *CA) Issue(t testing.TB, cn string, o Options) Issued {
	t.Helper()
	key := newKey(t)
	usage := x509.ExtKeyUsageServerAuth
	if o.Client {
		usage = x509.ExtKeyUsageClientAuth
	}
	subject := pkix.Name{CommonName: cn}
	if o.Organization != "" {
		subject.Organization = []string{o.Organization}
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(t), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: o.DNSNames, IPAddresses: o.IPAddresses,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatalf("testcert: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testcert: %v", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("testcert: %v", err)
	}
	return Issued{
		TLS:     tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		Cert:    cert,
		Key:     key,
		CertPEM: CertPEM(der),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})),
	}
}

// Localhost is the server's Options for localhost and 127.0.0.1.
var Localhost = Options{DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}

// CertPEM encodes a DER certificate in PEM.
func CertPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testcert: %v", err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("testcert: %v", err)
	}
	return n
}
