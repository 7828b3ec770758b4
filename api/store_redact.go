package api

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"
)

// storeShown is how String and errors show a CertStore value. A file
// name is shown as it is. Anything else is shown as "<inline KIND, NB>"
// and inline is true: the store's content (PEM, base64 PKCS#12, raw
// bytes) holds the private key, so it is never quoted, whatever its
// length or its CertStoreType. A value is taken for content when its
// type says so, or when (with a type that names a file, the automatic one
// included) it holds a PEM marker, line breaks or other control
// characters or bytes that are not UTF-8, is over 1 KiB, or reads as
// base64 of DER (what every key and PKCS#12 store is) or as a long base64
// text. A file name that looks like base64 is then hidden too: a name
// shown as "<inline ...>" costs a look at the settings, a key quoted in a
// log costs the key.
func storeShown(store string, typ CertStoreType) (shown string, inline bool) {
	store = strings.TrimSpace(store)
	kind := storeKind(store, typ)
	if kind == "" {
		return store, false
	}
	return "<inline " + kind + ", " + strconv.Itoa(len(store)) + "B>", true
}

// storeKind names what an inline store holds, or "" for a file name.
func storeKind(store string, typ CertStoreType) string {
	switch typ {
	case CertStorePFXBlob:
		return "PKCS#12"
	case CertStorePEMBlob:
		return "PEM"
	case CertStoreAuto, CertStoreAutoDetect, CertStorePFXFile, CertStorePEMFile,
		1, 4, 8, 11, 13, 14, 16, 18, 20, 21, 23: // names of files, stores or tokens
	default: // a blob of one of the reference's kinds, or no known type
		return "data"
	}
	switch {
	case store == "":
		return ""
	case strings.Contains(store, "-----"):
		return "PEM"
	case looksBase64(store):
		return "base64"
	case len(store) > 1024 || !utf8.ValidString(store) || hasControl(store):
		return "data"
	}
	return ""
}

// hasControl reports whether s holds a C0 control character or DEL,
// which no sensible file name does and pasted content (line breaks)
// often does.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// looksBase64 reports whether s, blanks removed, is base64 (standard or
// URL alphabet, padded or not) of at least 16 characters that decodes to
// DER (a first byte 0x30, a SEQUENCE: every key and PKCS#12 store), or of
// at least 64 characters not starting with '/' (an absolute path).
func looksBase64(s string) bool {
	compact := strings.Join(strings.Fields(s), "")
	if len(compact) < 16 {
		return false
	}
	trimmed := strings.TrimRight(compact, "=")
	var b []byte
	var err error
	if strings.ContainsAny(trimmed, "-_") {
		b, err = base64.RawURLEncoding.DecodeString(trimmed)
	} else {
		b, err = base64.RawStdEncoding.DecodeString(trimmed)
	}
	if err != nil || len(b) == 0 {
		return false
	}
	return b[0] == 0x30 || (len(compact) >= 64 && compact[0] != '/')
}
