package conformance

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestProfileRedactsPasscode: a Profile printed with fmt's verbs or given
// to log/slog's handlers never shows its passcode.
func TestProfileRedactsPasscode(t *testing.T) {
	p := Profile{Name: "x", Addr: "h:1", Login: "bob", Passcode: "pc-31d4"}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %v", p, p, p, &p)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("p", "p", p)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("p", "p", p)
	assert.NotContains(t, buf.String(), "pc-31d4")
	assert.Contains(t, buf.String(), "bob")
}
