package api

import (
	"encoding/json"
	"log/slog"
	"strconv"
)

// Firewall and SSLSettings hold secrets (a proxy password, a store
// password, a private key). String and GoString redact them for fmt's
// verbs; LogValue does for log/slog (whose JSON handler would otherwise
// print the fields), and MarshalJSON for encoding/json. The JSON keeps
// the field names and types, with each secret replaced by "<redacted>"
// (or "" when it is not set), an inline store by "<inline KIND, NB>" and a
// certificate by its length: it describes the settings, it does not save
// them (decoding it back gives no usable password or key).

// redacted is what a secret shows: "" when unset, else "<redacted>".
func redacted(s string) string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}

// certShown shows a certificate setting by its length ("<NB>"), "*" (any
// certificate) as it is.
func certShown(s string) string {
	if s == "" || s == "*" {
		return s
	}
	return "<" + strconv.Itoa(len(s)) + "B>"
}

// LogValue is the firewall for log/slog, with its password redacted.
func (f Firewall) LogValue() slog.Value {
	as := []slog.Attr{slog.String("Type", f.Type.String()), slog.String("Host", f.Host), slog.Int("Port", f.Port),
		slog.Bool("AutoDetect", f.AutoDetect), slog.String("User", f.User)}
	if f.Password != "" {
		as = append(as, slog.String("Password", redacted(f.Password)))
	}
	return slog.GroupValue(as...)
}

// MarshalJSON encodes the firewall with its password redacted.
func (f Firewall) MarshalJSON() ([]byte, error) {
	type shown struct {
		AutoDetect     bool
		Type           FirewallType
		Host           string
		Port           int
		User, Password string
	}
	return json.Marshal(shown{AutoDetect: f.AutoDetect, Type: f.Type, Host: f.Host, Port: f.Port, User: f.User, Password: redacted(f.Password)})
}

// LogValue is the settings for log/slog, as String shows them.
func (s SSLSettings) LogValue() slog.Value {
	as := []slog.Attr{slog.Bool("Enabled", s.Enabled),
		slog.String("AcceptServerCertEncoded", certShown(s.AcceptServerCertEncoded)),
		slog.String("CertEncoded", certShown(s.CertEncoded)),
		slog.String("CertStore", certStoreString(s.CertStore, s.CertStoreType)),
		slog.Int("CertStoreType", int(s.CertStoreType)), slog.String("CertSubject", s.CertSubject)}
	if s.CertStorePassword != "" {
		as = append(as, slog.String("CertStorePassword", redacted(s.CertStorePassword)))
	}
	return slog.GroupValue(as...)
}

// MarshalJSON encodes the settings as String shows them: the store
// password redacted, certificates by their length, an inline store by
// its kind and length.
func (s SSLSettings) MarshalJSON() ([]byte, error) {
	type shown struct {
		Enabled                 bool
		AcceptServerCertEncoded string
		CertEncoded             string
		CertStore               string
		CertStorePassword       string
		CertStoreType           CertStoreType
		CertSubject             string
	}
	return json.Marshal(shown{Enabled: s.Enabled, AcceptServerCertEncoded: certShown(s.AcceptServerCertEncoded),
		CertEncoded: certShown(s.CertEncoded), CertStore: certStoreString(s.CertStore, s.CertStoreType),
		CertStorePassword: redacted(s.CertStorePassword), CertStoreType: s.CertStoreType, CertSubject: s.CertSubject})
}
