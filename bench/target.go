package bench

import (
	"encoding/json"
	"log/slog"

	"github.com/stompactor/stompactor/frames"
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

// TargetError is a Target whose CONNECT frame cannot be written: Field
// (Login, Passcode or VHost) holds what a STOMP 1.2 CONNECT header cannot
// carry (a line feed, a carriage return, a NUL byte). Err is the frames
// package's *frames.SyntaxError. The value itself is never quoted: it may
// be the passcode.
type TargetError struct {
	Field string
	Err   error
}

func (e *TargetError) Error() string {
	return "bench: the target's " + e.Field + " cannot be sent: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *TargetError) Unwrap() error { return e.Err }

// Check refuses a target whose login, passcode or virtual host a CONNECT
// frame cannot carry, with a *TargetError. Run, MeasureConns and the raw
// reference's connects call it before they dial: the raw side writes its
// CONNECT by hand, and a line feed or a NUL byte in a value would put
// another header, or another frame, on the wire.
func (t *Target) Check() error {
	for _, f := range []struct{ field, key, value string }{
		{"Login", frames.HdrLogin, t.Login}, {"Passcode", frames.HdrPasscode, t.Passcode}, {"VHost", frames.HdrHost, t.vhost()},
	} {
		if err := frames.CheckHeader(frames.CmdConnect, frames.V12, f.key, f.value); err != nil {
			return &TargetError{Field: f.field, Err: err}
		}
	}
	return nil
}

// rawConnect is the raw reference's CONNECT frame for t (STOMP 1.2,
// heart-beats off), after Check.
func (t *Target) rawConnect() (string, error) {
	if err := t.Check(); err != nil {
		return "", err
	}
	connect := "CONNECT\naccept-version:1.2\nhost:" + t.vhost() + "\nheart-beat:0,0\n"
	if t.Login != "" {
		connect += "login:" + t.Login + "\n"
	}
	if t.Passcode != "" {
		connect += "passcode:" + t.Passcode + "\n"
	}
	return connect + "\n\x00", nil
}
