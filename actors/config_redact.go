package actors

import (
	"fmt"
	"log/slog"
)

// String describes the configuration with Passcode redacted, and the
// values of secret CONNECT headers too (frames.Header's String). GoString
// and LogValue (log/slog) give the same; encoding/json cannot encode a
// ConnectConfig at all (it holds functions).
func (c ConnectConfig) String() string {
	type plain ConnectConfig // without the methods, so that %+v prints fields
	p := plain(c)
	if p.Passcode != "" {
		p.Passcode = "<redacted>"
	}
	return fmt.Sprintf("ConnectConfig%+v", p)
}

// GoString is String, so that %#v redacts the passcode too.
func (c ConnectConfig) GoString() string { return c.String() }

// LogValue is String, for log/slog.
func (c ConnectConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }
