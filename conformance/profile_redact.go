package conformance

import (
	"fmt"
	"log/slog"
)

// String describes the profile with its passcode redacted; GoString and
// LogValue (log/slog) give the same. encoding/json cannot encode a
// Profile (it holds functions).
func (p Profile) String() string {
	type plain Profile // without the methods, so that %+v prints fields
	q := plain(p)
	if q.Passcode != "" {
		q.Passcode = "<redacted>"
	}
	return fmt.Sprintf("Profile%+v", q)
}

// GoString is String, so that %#v redacts the passcode too.
func (p Profile) GoString() string { return p.String() }

// LogValue is String, for log/slog.
func (p Profile) LogValue() slog.Value { return slog.StringValue(p.String()) }
