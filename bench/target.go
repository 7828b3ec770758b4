package bench

import (
	"encoding/json"
	"log/slog"
)

// String describes the target with its passcode redacted. GoString,
// LogValue (log/slog) and MarshalJSON (encoding/json) redact it too.
func (t Target) String() string {
	s := "Target{Name:" + t.Name + " Addr:" + t.Addr + " Login:" + t.Login + " VHost:" + t.VHost
	if t.Passcode != "" {
		s += " Passcode:<redacted>"
	}
	return s + "}"
}

// GoString is String, so that %#v redacts the passcode too.
func (t Target) GoString() string { return t.String() }

// LogValue is the target for log/slog, with its passcode redacted.
func (t Target) LogValue() slog.Value {
	as := []slog.Attr{slog.String("Name", t.Name), slog.String("Addr", t.Addr), slog.String("Login", t.Login), slog.String("VHost", t.VHost)}
	if t.Passcode != "" {
		as = append(as, slog.String("Passcode", "<redacted>"))
	}
	return slog.GroupValue(as...)
}

// MarshalJSON encodes the target with its passcode redacted ("" when
// none is set).
func (t Target) MarshalJSON() ([]byte, error) {
	type plain Target
	p := plain(t)
	if p.Passcode != "" {
		p.Passcode = "<redacted>"
	}
	return json.Marshal(p)
}
