package api

import (
	"crypto"
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
	switch a := strings.TrimSpace(c.ssl.AcceptServerCertEncoded); a {
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
		MinVersion:   c.sslMinVersion,
		MaxVersion:   c.sslMaxVersion,
		CipherSuites: append([]uint16(nil), c.sslCipherSuites...),
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
	return ts, nil
}

// trustedRoots are the system's roots (or those of SSLCACertFilePaths in
// their place) plus SSLServerCACerts.
func (c *config) trustedRoots() (*x509.CertPool, error) {
	var pool *x509.CertPool
	if len(c.sslCAFiles) > 0 {
		pool = x509.NewCertPool()
		loaded := 0
		for _, path := range c.sslCAFiles {
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
	if c.sslServerCACerts != "" {
		certs, err := certBlocks("SSLServerCACerts", c.sslServerCACerts)
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
	certs, _, err := parsePEMish(name, s)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, invalid("%s holds no certificate", name)
	}
	return certs, nil
}

// parsePEMish reads the certificates and the first private key of s,
// which holds PEM blocks or one base64 DER certificate.
func parsePEMish(name, s string) (certs []*x509.Certificate, key crypto.Signer, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil, nil
	}
	if !strings.Contains(s, "-----BEGIN") {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, nil, invalid("%s is neither PEM nor base64", name)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, invalid("%s: %v", name, err)
		}
		return []*x509.Certificate{cert}, nil, nil
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
				return nil, nil, invalid("%s: %v", name, err)
			}
			certs = append(certs, cert)
		case b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "":
			return nil, nil, newError(CodeUnsupported, name+": encrypted private keys are not supported; decrypt the key (openssl pkey) and keep the file private")
		case strings.HasSuffix(b.Type, "PRIVATE KEY") && key == nil:
			if key, err = parseKey(b.Bytes); err != nil {
				return nil, nil, invalid("%s: %v", name, err)
			}
		}
	}
	if len(certs) == 0 && key == nil {
		return nil, nil, invalid("%s holds no PEM certificate or key", name)
	}
	return certs, key, nil
}

func parseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("the private key cannot sign")
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("the private key is not PKCS#8, PKCS#1 or SEC 1")
}

// clientCert loads the client certificate, or returns nil when none is
// set. Its certificates and key come from the PEM blocks of SSLCertStore
// (a file, or the PEM itself) and SSLCertEncoded together; SSLCertSubject
// ("" or "*": any) picks the leaf, which must match the key; the other
// certificates and SSLCACerts follow it as the chain.
func (c *config) clientCert() (*tls.Certificate, error) {
	material := map[string]string{"SSLCertEncoded": c.ssl.CertEncoded}
	store := strings.TrimSpace(c.ssl.CertStore)
	switch t := c.ssl.CertStoreType; {
	case store == "":
	case t == CertStorePFXFile || t == CertStorePFXBlob:
		return nil, newError(CodeUnsupported, "SSLCertStoreType PFX (PKCS#12) is not supported; convert the store to PEM (openssl pkcs12 -nodes)")
	case t == CertStorePEMBlob || (t == CertStoreAuto && strings.Contains(store, "-----BEGIN")):
		material["SSLCertStore"] = store
	default:
		b, err := os.ReadFile(store)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) && strings.Contains(store, "-----BEGIN") {
				// Inline PEM taken for a file name: never quote the key.
				return nil, invalid("SSLCertStore holds PEM, not a file name (SSLCertStoreType %d): %v", int(t), pe.Err)
			}
			return nil, invalid("SSLCertStore: %v", err)
		}
		material["SSLCertStore"] = string(b)
	}
	var certs []*x509.Certificate
	var key crypto.Signer
	for _, name := range []string{"SSLCertStore", "SSLCertEncoded"} {
		cs, k, err := parsePEMish(name, material[name])
		if err != nil {
			return nil, err
		}
		certs = append(certs, cs...)
		if key == nil {
			key = k
		}
	}
	switch {
	case len(certs) == 0 && key == nil:
		return nil, nil
	case key == nil:
		return nil, invalid("the client certificate has no private key: give it in SSLCertStore or in the PEM of SSLCertEncoded")
	case len(certs) == 0:
		return nil, invalid("SSLCertStore holds a private key but no certificate")
	}
	leaf := -1
	for i, cert := range certs {
		pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if ok && pub.Equal(key.Public()) && subjectMatches(cert, c.ssl.CertSubject) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return nil, invalid("no client certificate matches the private key and SSLCertSubject %q", c.ssl.CertSubject)
	}
	out := &tls.Certificate{PrivateKey: key, Leaf: certs[leaf], Certificate: [][]byte{certs[leaf].Raw}}
	for i, cert := range certs {
		if i != leaf {
			out.Certificate = append(out.Certificate, cert.Raw)
		}
	}
	if c.sslCACerts != "" {
		chain, err := certBlocks("SSLCACerts", c.sslCACerts)
		if err != nil {
			return nil, err
		}
		for _, cert := range chain {
			out.Certificate = append(out.Certificate, cert.Raw)
		}
	}
	return out, nil
}

// subjectMatches reports whether want ("" or "*" for any) is part of
// cert's subject ("CN=client,O=Example"), ignoring case.
func subjectMatches(cert *x509.Certificate, want string) bool {
	want = strings.TrimSpace(want)
	return want == "" || want == "*" || strings.Contains(strings.ToLower(cert.Subject.String()), strings.ToLower(want))
}
