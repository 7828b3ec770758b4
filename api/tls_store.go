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

	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/stompactor/stompactor/actors"
)

// The client certificate: PEM blocks or a PKCS#12 (PFX) store, whose
// password (SSLCertStorePassword) also opens an encrypted PEM key.
//
// PKCS#12 stores are read by software.sslmate.com/src/go-pkcs12: the
// modern ones (PBES2 with AES and PBKDF2, a SHA-2 or PBMAC1 MAC, what
// OpenSSL 3 writes) and the legacy ones (3DES or RC2 with SHA-1, what
// Windows and OpenSSL 1 wrote). Encrypted PEM keys are read in both forms:
// "ENCRYPTED PRIVATE KEY" (PKCS#8 with PBES2: PBKDF2 or scrypt, AES-CBC
// or AES-GCM, 3DES; what OpenSSL 3 writes) by github.com/youmark/pkcs8,
// and the legacy "Proc-Type: 4,ENCRYPTED" headers (DES, 3DES, AES-CBC;
// what OpenSSL 1 wrote for "traditional" keys) by the standard library.
// PKCS#8 keys under the older PBES1 schemes (pbeWithMD5AndDES-CBC,
// pbeWithSHA1And3-KeyTripleDES-CBC: openssl pkcs8 -v1) are refused with
// ErrUnsupported.

// errPassword is the cause of a store or key the password did not open.
var errPassword = errors.New("wrong password")

func storeError(code int, msg string, cause error) *Error {
	return actors.NewError(code, "stomp: "+msg, cause)
}

// clientCert loads the client certificate, or returns nil when none is
// set. Its certificates and key come from SSLCertStore (PEM or PKCS#12,
// inline or in a file) and the PEM of SSLCertEncoded together;
// SSLCertSubject ("" or "*": any) picks the leaf, which must match the
// key: the first certificate it fits, one it only partly fits
// (subjectMatch) when it fits none; the other certificates and SSLCACerts follow it as the chain.
func (c *config) clientCert() (*tls.Certificate, error) {
	store, err := c.readStore()
	if err != nil {
		return nil, err
	}
	certs, key := store.certs, store.key
	enc, err := parsePEMish("SSLCertEncoded", c.sec.ssl.CertEncoded)
	if err != nil {
		return nil, err
	}
	certs = append(certs, enc.certs...)
	if key == nil && enc.key != nil {
		if key, err = c.privateKey("SSLCertEncoded", enc.key); err != nil {
			return nil, err
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
	leaf, best := -1, subjectNoFit
	for i, cert := range certs {
		pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(key.Public()) {
			continue
		}
		if fit := subjectMatch(cert, c.sec.ssl.CertSubject); fit > best {
			leaf, best = i, fit
		}
	}
	if leaf < 0 {
		return nil, invalid("no client certificate matches the private key and SSLCertSubject %q", c.sec.ssl.CertSubject)
	}
	out := &tls.Certificate{PrivateKey: key, Leaf: certs[leaf], Certificate: [][]byte{certs[leaf].Raw}}
	for i, cert := range certs {
		if i != leaf {
			out.Certificate = append(out.Certificate, cert.Raw)
		}
	}
	if c.sec.sslCACerts != "" {
		chain, err := certBlocks("SSLCACerts", c.sec.sslCACerts)
		if err != nil {
			return nil, err
		}
		for _, cert := range chain {
			out.Certificate = append(out.Certificate, cert.Raw)
		}
	}
	return out, nil
}

// storeContents are the certificates and key of SSLCertStore.
type storeContents struct {
	certs []*x509.Certificate
	key   crypto.Signer
}

// readStore reads SSLCertStore as SSLCertStoreType says: inline PEM, a
// PEM file, a PKCS#12 file or base64 PKCS#12 bytes; CertStoreAuto takes
// PEM holding "-----BEGIN" as inline PEM, and anything else as the name
// of a file of PEM or PKCS#12.
func (c *config) readStore() (storeContents, error) {
	store := strings.TrimSpace(c.sec.ssl.CertStore)
	var data []byte
	t := c.sec.ssl.CertStoreType
	if t == CertStoreAutoDetect {
		t = CertStoreAuto
	}
	switch {
	case store == "":
		return storeContents{}, nil
	case t == CertStorePFXBlob:
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(store), ""))
		if err != nil {
			return storeContents{}, invalid("SSLCertStore is not base64 (SSLCertStoreType %d: PKCS#12 bytes in base64)", int(t))
		}
		return c.decodePFX(der)
	case t == CertStorePEMBlob || (t == CertStoreAuto && strings.Contains(store, "-----BEGIN")):
		data = []byte(store)
	default:
		b, err := os.ReadFile(store)
		if err != nil {
			if shown, inline := storeShown(store, t); inline {
				// Inline material taken for a file name: never quote it,
				// nor the error that does (fs.PathError names the file).
				cause := errors.New("it cannot be read as a file")
				var pe *fs.PathError
				if errors.As(err, &pe) {
					cause = pe.Err
				}
				return storeContents{}, invalid("SSLCertStore holds inline data %s, not a file name: set SSLCertStoreType (%d now) to what it is (3: base64 PKCS#12, 7: PEM): %v",
					shown, int(t), cause)
			}
			return storeContents{}, invalid("SSLCertStore: %v", err)
		}
		if t == CertStorePFXFile || (t == CertStoreAuto && !strings.Contains(string(b), "-----BEGIN")) {
			return c.decodePFX(b)
		}
		data = b
	}
	m, err := parsePEMish("SSLCertStore", string(data))
	if err != nil {
		return storeContents{}, err
	}
	out := storeContents{certs: m.certs}
	if m.key != nil {
		if out.key, err = c.privateKey("SSLCertStore", m.key); err != nil {
			return storeContents{}, err
		}
	}
	return out, nil
}

// decodePFX opens a PKCS#12 store with SSLCertStorePassword.
func (c *config) decodePFX(der []byte) (storeContents, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(der, c.sec.ssl.CertStorePassword)
	var ni pkcs12.NotImplementedError
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
		return storeContents{}, storeError(CodeInvalidArgument, "SSLCertStorePassword does not open the PKCS#12 store of SSLCertStore", errPassword)
	case errors.As(err, &ni):
		return storeContents{}, storeError(CodeUnsupported, "SSLCertStore: this PKCS#12 store is not supported: "+err.Error(), err)
	case err != nil:
		return storeContents{}, storeError(CodeInvalidArgument, "SSLCertStore is not a PKCS#12 store that can be read: "+err.Error(), err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return storeContents{}, invalid("SSLCertStore: the PKCS#12 store's private key cannot sign")
	}
	return storeContents{certs: append([]*x509.Certificate{leaf}, chain...), key: signer}, nil
}

// privateKey decodes a PEM private key, decrypting it with
// SSLCertStorePassword when it is encrypted.
func (c *config) privateKey(name string, b *pem.Block) (crypto.Signer, error) {
	der := b.Bytes
	pass := c.sec.ssl.CertStorePassword
	encrypted := b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != ""
	if encrypted && pass == "" {
		return nil, invalid("%s: the private key is encrypted: set SSLCertStorePassword to its password", name)
	}
	switch {
	case b.Type == "ENCRYPTED PRIVATE KEY":
		k, err := pkcs8.ParsePKCS8PrivateKey(der, []byte(pass))
		switch {
		case err == nil:
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, invalid("%s: the private key cannot sign", name)
			}
			return s, nil
		case strings.Contains(err.Error(), "incorrect password"):
			return nil, storeError(CodeInvalidArgument, name+": SSLCertStorePassword does not decrypt the private key", errPassword)
		case strings.Contains(err.Error(), "supported"):
			// PBES1, or a KDF or cipher the decoder lacks.
			return nil, storeError(CodeUnsupported, name+": the private key's encryption is not supported ("+err.Error()+"); re-encrypt it with PBES2 and AES (openssl pkcs8 -topk8 -v2 aes-256-cbc)", err)
		default:
			return nil, storeError(CodeInvalidArgument, name+": the encrypted private key cannot be read: "+err.Error(), err)
		}
	case b.Headers["Proc-Type"] != "":
		// The legacy OpenSSL encryption is weak (one MD5 round derives the
		// key) but still the only standard way to read such files.
		//lint:ignore SA1019 reading legacy encrypted PEM keys is the point
		plain, err := x509.DecryptPEMBlock(b, []byte(pass))
		if err != nil {
			if errors.Is(err, x509.IncorrectPasswordError) {
				return nil, storeError(CodeInvalidArgument, name+": SSLCertStorePassword does not decrypt the private key", errPassword)
			}
			return nil, storeError(CodeInvalidArgument, name+": the encrypted private key cannot be read: "+err.Error(), err)
		}
		der = plain
	}
	k, err := parseKey(der)
	if err != nil {
		if encrypted {
			// A wrong password may decrypt to bytes that are no key.
			return nil, storeError(CodeInvalidArgument, name+": SSLCertStorePassword does not decrypt the private key", errPassword)
		}
		return nil, invalid("%s: %v", name, err)
	}
	return k, nil
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
