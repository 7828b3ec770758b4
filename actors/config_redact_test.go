package actors

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stompactor/stompactor/frames"
)

// TestConnectConfigRedactedEverywhere: a ConnectConfig printed with fmt's
// verbs or given to log/slog's handlers shows neither its passcode nor
// the value of a secret CONNECT header, and still shows the login.
func TestConnectConfigRedactedEverywhere(t *testing.T) {
	cfg := ConnectConfig{Addr: "h:1", Login: "bob", Passcode: "pc-5e1f",
		ConnectHeaders: frames.Headers{{Key: "x-auth-token", Value: "tok-77aa"}}}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %v", cfg, cfg, cfg, &cfg)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "c", cfg, "p", &cfg)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "c", cfg)
	out := buf.String()
	for _, secret := range []string{"pc-5e1f", "tok-77aa"} {
		assert.NotContains(t, out, secret)
	}
	assert.Contains(t, out, "bob")
}
