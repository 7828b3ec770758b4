package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSettingsRedactedInStructuredLogs: Firewall and SSLSettings keep
// their secrets out of every way a program may print or log them: slog's
// JSON and text handlers (directly, as a pointer, in a group),
// encoding/json, and fmt's verbs.
func TestSettingsRedactedInStructuredLogs(t *testing.T) {
	fw := Firewall{Type: FirewallSOCKS5, Host: "proxy", Port: 1080, User: "bob", Password: "proxy-pw-7f3a"}
	ssl := SSLSettings{Enabled: true, CertStore: "-----BEGIN PRIVATE KEY-----\nMIIEvQ-key-material\n-----END PRIVATE KEY-----",
		CertStoreType: CertStorePEMBlob, CertStorePassword: "store-pw-91c2"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("settings", "firewall", fw, "ssl", ssl)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("settings", "firewall", fw, "ssl", ssl)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("settings", "firewall", &fw, "ssl", &ssl, slog.Group("g", "fw", fw))
	j, err := json.Marshal(map[string]any{"fw": fw, "ssl": ssl, "pfw": &fw, "pssl": &ssl})
	require.NoError(t, err)
	buf.Write(j)
	fmt.Fprintf(&buf, "%v %+v %#v %s %v %+v", fw, fw, fw, fw, ssl, ssl)
	fmt.Fprintf(&buf, "%v %+v %#v", &fw, &ssl, []Firewall{fw})
	out := buf.String()
	for _, secret := range []string{"proxy-pw-7f3a", "store-pw-91c2", "MIIEvQ-key-material"} {
		assert.NotContains(t, out, secret, "a log of the settings shows a secret:\n%s", out)
	}
	// What is not secret is still there, and the JSON is an object.
	assert.Contains(t, out, `"Host":"proxy"`)
	assert.Contains(t, out, `"User":"bob"`)
	var back map[string]map[string]any
	require.NoError(t, json.Unmarshal(j, &back))
	assert.Equal(t, "<redacted>", back["fw"]["Password"])
	assert.Equal(t, "<redacted>", back["ssl"]["CertStorePassword"])
	// An empty password is shown empty, not as redacted.
	j, err = json.Marshal(Firewall{Host: "p"})
	require.NoError(t, err)
	assert.Contains(t, string(j), `"Password":""`)
}
