package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestIssuedCertificatesVerify(t *testing.T) {
	ca := New(t, "test CA")
	srv := ca.Issue(t, "server", Localhost)
	_, err := srv.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	cli := ca.Issue(t, "client", Options{Client: true})
	_, err = cli.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair([]byte(cli.CertPEM), []byte(cli.KeyPEM)); err != nil {
		t.Fatal(err)
	}
	other := New(t, "other CA")
	if _, err := srv.Cert.Verify(x509.VerifyOptions{Roots: other.Pool(), DNSName: "localhost"}); err == nil {
		t.Fatal("a certificate verified against a CA that did not sign it")
	}
}
