package api

import "fmt"

// CertStoreType says what SSLSettings.CertStore holds. The numbers are
// the reference's (its ssl_cert_store_type), so a ported
// SetSSLCertStoreType(2) still means a PKCS#12 file; 0, Go's zero value,
// is automatic here (CertStoreAuto), where the reference's 0 is the
// Windows user's certificate store.
type CertStoreType int

// Certificate store types. SSLCertStorePassword opens a PKCS#12 store
// and decrypts an encrypted PEM key. The reference's other kinds
// (Windows user and machine stores, Java and BouncyCastle key stores,
// public-key-only, PKCS#7, PuTTY, XML and JWK files, security keys,
// PKCS#11: its 1, 4, 5 and 8 to 23) are refused with ErrUnsupported; any
// other number with ErrInvalidArgument.
const (
	CertStoreAuto       CertStoreType = 0  // PEM given inline when it holds "-----BEGIN", else the path of a PEM or PKCS#12 file (the default)
	CertStorePFXFile    CertStoreType = 2  // the path of a PKCS#12 (PFX, .p12) file
	CertStorePFXBlob    CertStoreType = 3  // PKCS#12 bytes, base64 encoded
	CertStorePEMFile    CertStoreType = 6  // the path of a file of PEM blocks: certificates and key (the reference's PEM key file)
	CertStorePEMBlob    CertStoreType = 7  // PEM blocks given inline (the reference's PEM key blob)
	CertStoreAutoDetect CertStoreType = 99 // the reference's number for automatic: read as CertStoreAuto
)

// unsupportedStoreTypes names the reference's store kinds this version
// cannot read.
var unsupportedStoreTypes = map[CertStoreType]string{
	1: "a Windows machine certificate store", 4: "a Java key store file", 5: "a Java key store blob",
	8: "a public key file (no private key)", 9: "a public key blob (no private key)",
	10: "an SSH public key blob", 11: "a PKCS#7 (P7B) file", 12: "a PKCS#7 (P7B) blob",
	13: "an SSH public key file", 14: "a PuTTY key file", 15: "a PuTTY key blob",
	16: "an XML key file", 17: "an XML key blob", 18: "a JSON Web Key file", 19: "a JSON Web Key blob",
	20: "a security key", 21: "a BouncyCastle key store file", 22: "a BouncyCastle key store blob",
	23: "a PKCS#11 token",
}

// check refuses a store type that is not one of the constants:
// ErrUnsupported for the reference's kinds this version cannot read,
// ErrInvalidArgument for any other number.
func (t CertStoreType) check() error {
	switch t {
	case CertStoreAuto, CertStorePFXFile, CertStorePFXBlob, CertStorePEMFile, CertStorePEMBlob, CertStoreAutoDetect:
		return nil
	}
	if kind, ok := unsupportedStoreTypes[t]; ok {
		return newError(CodeUnsupported, fmt.Sprintf("SSLCertStoreType %d (%s) is not supported: give PEM or PKCS#12 (2, 3, 6, 7, or 0 or 99 for automatic)", int(t), kind))
	}
	return invalid("SSLCertStoreType %d is not a store type (2, 3: PKCS#12 file, blob; 6, 7: PEM file, blob; 0 or 99: automatic)", int(t))
}
