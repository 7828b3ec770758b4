package api

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"strings"
)

var errNoVerifier = errors.New("no certificate verifier configured")

// tlsSetup is what the TLS dials of one Connect share: the config
// without its verification hook, and what the hook checks against.
type tlsSetup struct {
	cfg        *tls.Config
	roots      *x509.CertPool
	serverName string
	acceptAny  bool   // SSLAcceptServerCertEncoded is "*"
	accept     []byte // DER of SSLAcceptServerCertEncoded
}

// tlsSetup builds the TLS settings of a Connect from the SSL properties
// and settings. Errors are *Error: a bad value is CodeInvalidArgument, a
// store type or key format this version cannot read CodeUnsupported.
func (c *config) tlsSetup() (*tlsSetup, error) {
	ts := &tlsSetup{serverName: c.remoteHost}
	roots, err := c.trustedRoots()
	if err != nil {
		return nil, err
	}
	ts.roots = roots
	switch a := strings.TrimSpace(c.sec.ssl.AcceptServerCertEncoded); a {
	case "":
	case "*":
		ts.acceptAny = true
	default:
		ders, err := certBlocks("SSLAcceptServerCertEncoded", a)
		if err != nil {
			return nil, err
		}
		ts.accept = ders[0].Raw
	}
	ts.cfg = &tls.Config{
		ServerName:   c.remoteHost,
		MinVersion:   c.sec.sslMinVersion,
		MaxVersion:   c.sec.sslMaxVersion,
		CipherSuites: append([]uint16(nil), c.sec.sslCipherSuites...),
		// Go's own verification is off because verifyServer does it (roots,
		// SSLAcceptServerCertEncoded, the user's handler), set by sslDialer
		// as VerifyConnection; until then every certificate is refused.
		InsecureSkipVerify: true,
		VerifyConnection:   func(tls.ConnectionState) error { return errNoVerifier },
	}
	cert, err := c.clientCert()
	if err != nil {
		return nil, err
	}
	if cert != nil {
		ts.cfg.Certificates = []tls.Certificate{*cert}
	}
	if ts.cfg.CurvePreferences, err = c.curvePreferences(); err != nil {
		return nil, err
	}
	ts.cfg.Renegotiation = c.renegotiation()
	ts.cfg.ClientSessionCache = c.sessionCache(cert)
	return ts, nil
}

// trustedRoots are the system's roots (or those of SSLCACertFilePaths in
// their place) plus SSLServerCACerts.
func (c *config) trustedRoots() (*x509.CertPool, error) {
	var pool *x509.CertPool
	if len(c.sec.sslCAFiles) > 0 {
		pool = x509.NewCertPool()
		loaded := 0
		for _, path := range c.sec.sslCAFiles {
			b, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue // a list of usual places: some are absent
			}
			if err != nil {
				return nil, invalid("SSLCACertFilePaths: %v", err)
			}
			if !pool.AppendCertsFromPEM(b) {
				return nil, invalid("SSLCACertFilePaths: %s holds no PEM certificate", path)
			}
			loaded++
		}
		if loaded == 0 {
			return nil, invalid("SSLCACertFilePaths: none of the files exists")
		}
	} else if sys, err := x509.SystemCertPool(); err == nil {
		pool = sys
	} else {
		pool = x509.NewCertPool()
	}
	if c.sec.sslServerCACerts != "" {
		certs, err := certBlocks("SSLServerCACerts", c.sec.sslServerCACerts)
		if err != nil {
			return nil, err
		}
		for _, ca := range certs {
			pool.AddCert(ca)
		}
	}
	return pool, nil
}

// certBlocks parses the certificates of s: PEM blocks, or one base64 DER
// certificate.
func certBlocks(name, s string) ([]*x509.Certificate, error) {
	m, err := parsePEMish(name, s)
	if err != nil {
		return nil, err
	}
	if len(m.certs) == 0 {
		return nil, invalid("%s holds no certificate", name)
	}
	return m.certs, nil
}

// material is what a PEM text holds: certificates, and the first private
// key, still as its block (it may be encrypted).
type material struct {
	certs []*x509.Certificate
	key   *pem.Block
}

// parsePEMish reads the certificates and the first private key of s,
// which holds PEM blocks or one base64 DER certificate.
func parsePEMish(name, s string) (material, error) {
	var m material
	s = strings.TrimSpace(s)
	if s == "" {
		return m, nil
	}
	if !strings.Contains(s, "-----BEGIN") {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return m, invalid("%s is neither PEM nor base64", name)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return m, invalid("%s: %v", name, err)
		}
		m.certs = []*x509.Certificate{cert}
		return m, nil
	}
	rest := []byte(s)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return m, invalid("%s: %v", name, err)
			}
			m.certs = append(m.certs, cert)
		case strings.HasSuffix(b.Type, "PRIVATE KEY") && m.key == nil:
			m.key = b
		}
	}
	if len(m.certs) == 0 && m.key == nil {
		return m, invalid("%s holds no PEM certificate or key", name)
	}
	return m, nil
}
