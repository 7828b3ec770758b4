package api

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// SSLCertSubject against a certificate's subject. The reference writes a
// subject as its fields joined by ", " ("CN=me, O=Example, E=me@x.org"),
// Go's pkix.Name.String() joins them by "," and prints the e-mail field
// as an OID: neither form is the other's substring, so a subject written
// as fields is matched field by field. It is never matched as text: Go
// prints "O=Example, Inc." as "O=Example\, Inc.", which holds
// "O=Example", and "C=US" holds "C=U", so a substring test would pick a
// certificate lacking the field given.

// subjectFit is how well SSLCertSubject fits a certificate; clientCert
// takes the first certificate of the best fit.
type subjectFit int

const (
	// subjectNoFit: the certificate is not picked.
	subjectNoFit subjectFit = iota
	// subjectPartFit: a value without '=' that is part of Go's form of
	// the subject ("me" in "CN=me-admin").
	subjectPartFit
	// subjectFits: "" or "*"; every field given is one of the
	// certificate's; the whole subject in Go's form; or a value without
	// '=' that is the whole value of one of its fields ("me" for CN=me).
	subjectFits
)

// subjectMatch says how want fits cert's subject. Text holding '=' is
// written as fields (name=value, split on commas and on '+' outside
// quotes, blanks around them ignored, names ignoring case, E, EMAIL and
// EMAILADDRESS being the e-mail field, a dotted OID naming any, a value
// "#hex" as Go prints one being its BER string): it fits when each of its
// fields is one of the certificate's, the value compared whole, ignoring
// case, or when it is Go's form of the whole subject; text with '=' that
// is not fields fits nothing. Text without '=' is a partial value: it
// fits when it is the value of one of the fields, and partly when it is
// part of Go's form of the subject, both ignoring case.
func subjectMatch(cert *x509.Certificate, want string) subjectFit {
	want = strings.TrimSpace(want)
	switch {
	case want == "" || want == "*":
		return subjectFits
	case !strings.Contains(want, "="):
		for _, a := range cert.Subject.Names {
			if strings.EqualFold(strings.TrimSpace(fmt.Sprint(a.Value)), want) {
				return subjectFits
			}
		}
		if strings.Contains(strings.ToLower(cert.Subject.String()), strings.ToLower(want)) {
			return subjectPartFit
		}
		return subjectNoFit
	case strings.EqualFold(want, cert.Subject.String()):
		return subjectFits
	}
	fields, ok := parseSubject(want)
	if !ok {
		return subjectNoFit
	}
	for _, f := range fields {
		if !hasField(cert.Subject, f) {
			return subjectNoFit
		}
	}
	return subjectFits
}

// subjectMatches reports whether want picks cert at all (subjectMatch).
func subjectMatches(cert *x509.Certificate, want string) bool {
	return subjectMatch(cert, want) != subjectNoFit
}

// subjectField is one name=value of a subject, its name as an OID.
type subjectField struct {
	oid   asn1.ObjectIdentifier
	value string
}

// subjectNames maps the field names a subject may be written with
// (upper case) to their attribute types.
var subjectNames = map[string]asn1.ObjectIdentifier{
	"CN": {2, 5, 4, 3}, "SN": {2, 5, 4, 4}, "SURNAME": {2, 5, 4, 4},
	"SERIALNUMBER": {2, 5, 4, 5}, "C": {2, 5, 4, 6}, "L": {2, 5, 4, 7},
	"ST": {2, 5, 4, 8}, "S": {2, 5, 4, 8}, "STREET": {2, 5, 4, 9},
	"O": {2, 5, 4, 10}, "OU": {2, 5, 4, 11}, "T": {2, 5, 4, 12}, "TITLE": {2, 5, 4, 12},
	"POSTALCODE": {2, 5, 4, 17}, "G": {2, 5, 4, 42}, "GN": {2, 5, 4, 42}, "GIVENNAME": {2, 5, 4, 42},
	"DC": {0, 9, 2342, 19200300, 100, 1, 25}, "UID": {0, 9, 2342, 19200300, 100, 1, 1},
	"E": {1, 2, 840, 113549, 1, 9, 1}, "EMAIL": {1, 2, 840, 113549, 1, 9, 1},
	"EMAILADDRESS": {1, 2, 840, 113549, 1, 9, 1},
}

// parseSubject splits s into its fields; ok is false when s is not
// written as fields (a piece holds no '=', or names no known attribute
// type or dotted OID). A piece with no '=' belongs to the value before
// it ("O=Example, Inc.", "E=a+b@x.org"). A value may be quoted ("O=\"A,
// B\"") or escape a character with a backslash ("O=A\, B").
func parseSubject(s string) (fields []subjectField, ok bool) {
	var pieces []string
	var cur strings.Builder
	quoted, escaped := false, false
	flush := func(sep byte) {
		p := cur.String()
		cur.Reset()
		if strings.TrimSpace(p) == "" {
			return // "CN=me," or "CN=me,,O=x": nothing between separators
		}
		if n := len(pieces); n > 0 && !strings.Contains(p, "=") {
			pieces[n-1] += string(sep) + p // part of the value before it
			return
		}
		pieces = append(pieces, p)
	}
	var sep byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == '+'):
			flush(sep)
			sep = c
			continue
		}
		cur.WriteByte(c)
	}
	flush(sep)
	for _, p := range pieces {
		name, value, found := strings.Cut(p, "=")
		if !found {
			return nil, false
		}
		oid, known := subjectOID(strings.TrimSpace(name))
		if !known {
			return nil, false
		}
		fields = append(fields, subjectField{oid: oid, value: fieldValue(strings.TrimSpace(value))})
	}
	return fields, len(fields) > 0
}

// subjectOID returns the attribute type of a field name: a known name,
// ignoring case, or a dotted OID ("2.5.4.3", "OID.2.5.4.3").
func subjectOID(name string) (asn1.ObjectIdentifier, bool) {
	up := strings.ToUpper(name)
	if oid, ok := subjectNames[up]; ok {
		return oid, true
	}
	var oid asn1.ObjectIdentifier
	for _, part := range strings.Split(strings.TrimPrefix(up, "OID."), ".") {
		n, err := strconv.Atoi(part)
		if err != nil || part[0] < '0' || part[0] > '9' {
			return nil, false
		}
		oid = append(oid, n)
	}
	return oid, len(oid) >= 2
}

// fieldValue is the value of a field as written: "#" and hex digits, as
// Go prints a field it has no name for, is the BER string they encode;
// any other value is unquoted.
func fieldValue(v string) string {
	if len(v) > 1 && v[0] == '#' {
		var str string
		if der, err := hex.DecodeString(v[1:]); err == nil {
			if rest, err := asn1.Unmarshal(der, &str); err == nil && len(rest) == 0 {
				return str
			}
		}
	}
	return unquoteValue(v)
}

// unquoteValue removes the quotes around a value and the backslashes
// that escape a character.
func unquoteValue(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if !strings.Contains(v, `\`) && !strings.Contains(v, `"`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		} else if v[i] == '"' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// hasField reports whether name holds f: an attribute of its type whose
// value equals f's, ignoring case.
func hasField(name pkix.Name, f subjectField) bool {
	for _, a := range name.Names {
		if a.Type.Equal(f.oid) && strings.EqualFold(strings.TrimSpace(fmt.Sprint(a.Value)), f.value) {
			return true
		}
	}
	return false
}
