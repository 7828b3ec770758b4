package api

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The "# Configuration settings" section of doc.go is what Config's users
// read (Config's comment and README send them there): these tests hold it
// to the settings table.

// configSection is the text of doc.go's "# Configuration settings"
// section, up to the next heading.
func configSection(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	s := string(doc)
	i := strings.Index(s, "// # Configuration settings\n")
	require.True(t, i >= 0, "doc.go has no \"# Configuration settings\" section")
	s = s[i+1:]
	j := strings.Index(s, "\n// # ")
	require.True(t, j >= 0)
	return s[:j]
}

// configRows reads the listing of the section: each setting name of the
// name column, with the text of its row (continuation lines included). A
// row names one setting or several, comma-separated, over one line or
// more ("FirewallAutoDetect, FirewallHost, ...,\n FirewallType, ...").
func configRows(t *testing.T) map[string]string {
	t.Helper()
	rows := map[string]string{}
	var names []string // of the row being read
	var text strings.Builder
	flush := func() {
		for _, n := range names {
			rows[n] = text.String()
		}
		names = nil
		text.Reset()
	}
	for line := range strings.Lines(configSection(t)) {
		line = strings.TrimSuffix(line, "\n")
		body, ok := strings.CutPrefix(line, "//\t")
		if !ok {
			flush()
			continue
		}
		if strings.HasPrefix(body, " ") { // a continuation of the row's text
			text.WriteString(" " + strings.TrimSpace(body))
			continue
		}
		continued := len(names) > 0 && text.Len() == 0 // the names went on past a comma
		if !continued {
			flush()
		}
		m := rowNames.FindStringSubmatch(body)
		require.NotNil(t, m, "doc.go: %q is no row of settings", body)
		for n := range strings.SplitSeq(m[1], ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		if !strings.HasSuffix(m[1], ",") {
			text.WriteString(m[2])
			if text.Len() == 0 {
				text.WriteString(" ") // a row whose text is on the next lines
			}
		}
	}
	flush()
	return rows
}

// rowNames reads a row's name column: names separated by ", ", the last
// followed by the row's text (or a comma, the names going on below).
var rowNames = regexp.MustCompile(`^((?:\w+, ?)*\w+,?)(?:\s+(.*))?$`)

func TestEveryConfigSettingIsDocumented(t *testing.T) {
	rows := configRows(t)
	for _, row := range settingsTable {
		text, ok := rows[row.name]
		if !assert.True(t, ok, "setting %s is missing from doc.go's \"Configuration settings\"", row.name) {
			continue
		}
		if !slices.Contains(referenceSettings, row.name) {
			assert.Contains(t, text, "not in the reference", "setting %s is not the reference's: its row says so", row.name)
		}
	}
}

func TestDocumentedConfigSettingsAreAccepted(t *testing.T) {
	rows := configRows(t)
	require.Greater(t, len(rows), 50, "the listing was not read")
	for name := range rows {
		row, ok := lookupSetting(name)
		if assert.True(t, ok, "doc.go lists %s, which Config does not know", name) {
			assert.Equal(t, row.name, name, "doc.go spells %s otherwise than the settings table", name)
		}
	}
}

// docDefaults is each setting's default as a new client reads it, and as
// its row writes it: the row must contain the text. A setting Config
// reads and writes is either here or in noDefaultRow.
var docDefaults = map[string]struct{ read, doc string }{
	"AckTransactionId":            {"", `("")`},
	"CollapseHeaders":             {"true", "(true)"},
	"LogLevel":                    {"1", "1 info (default)"},
	"RequestAckReceipts":          {"false", "(false)"},
	"RequestSubscriptionReceipts": {"false", "(false)"},
	"RequestTransactionReceipts":  {"false", "(false)"},
	"SupportedVersions":           {"1.0,1.1,1.2", `("1.0,1.1,1.2")`},
	"VirtualHost":                 {"", `("": RemoteHost`},
	"ConnectHeaders":              {"", `("": none`},
	"ConnectionTimeout":           {"0", "(0: Timeout)"},
	"DisconnectTimeout":           {"5", "(5; 0: Timeout)"},
	"AbsoluteTimeout":             {"false", "false (default)"},
	"ProcessIdleEvents":           {"true", "(true)"},
	"SelectWaitMillis":            {"20", "(20)"},
	"ProxyExceptionsList":         {"", `("")`},
	"SSLServerCACerts":            {"", `("")`},
	"SSLCACertFilePaths":          {"", `("": the system's)`},
	"SSLCACerts":                  {"", `("")`},
	"SSLEnabledProtocols":         {"TLS1.2,TLS1.3", `"TLS1.2,TLS1.3" (the default)`},
	"SSLEnabledCipherSuites":      {"", `("": Go's)`},
	"ReuseSSLSession":             {"true", "(true)"},
	"SSLEnableRenegotiation":      {"false", "(false)"},
	"TLS12SupportedGroups":        {"", `("": Go's)`},
	"TLS13SupportedGroups":        {"", `("": Go's)`},
	"TLS13KeyShareGroups":         {"", `("": Go's)`},
	"KeepAliveInterval":           {"0", "(0: system)"},
	"KeepAliveTime":               {"0", "(0: system)"},
	"Linger":                      {"true", "(true)"},
	"LingerTime":                  {"0", "(0: in the background)"},
	"LocalHost":                   {"", `("", 0: any)`},
	"LocalPort":                   {"0", `("", 0: any)`},
	"MaxLineLength":               {"102400", "(102400)"},
	"MaxTransferRate":             {"0", "(0: unlimited)"},
	"TCPKeepAlive":                {"false", "(false;"},
	"TcpNoDelay":                  {"true", "(true)"},
	"UseIPv6":                     {"auto", "auto (default"},
	"InBufferSize":                {"0", "(0: system)"},
	"OutBufferSize":               {"0", "(0: system)"},
	"Prefetch":                    {"0", "(0: its QueueSize"},
	"WebSocketURL":                {"", `("": raw TCP)`},
	"AutoReconnect":               {"false", "(false;"},
	"ReconnectDelay":              {"0", "(0: 100)"},
	"MaxReconnectDelay":           {"0", "(0: 30000)"},
	"ReconnectStableAfter":        {"0", "(0: MaxReconnectDelay)"},
	"MaxReconnectAttempts":        {"0", "(0: never)"},
	"FailoverServers":             {"", `("": none`},
	"AtLeastOnce":                 {"false", "(false;"},
	"MaxOutbox":                   {"0", "(0: 1024)"},
	"DedupHeader":                 {"", `("": none`},
	"MaxBodySize":                 {"0", "(0: 4194304, 4 MiB)"},
	"MaxHeaders":                  {"0", "(0: 100)"},
	"MaxFrameSize":                {"0", "(0: MaxBodySize plus 262144"},
	"HeartbeatTolerance":          {"0", "(0: 1.5"},
}

// noDefaultRow: settings whose row refers to another place for their
// default (the Firewall properties).
var noDefaultRow = []string{"FirewallAutoDetect", "FirewallHost", "FirewallPassword", "FirewallPort", "FirewallType", "FirewallUser"}

func TestDocumentedConfigDefaultsAreRead(t *testing.T) {
	rows := configRows(t)
	s := newClient(t)
	for _, row := range settingsTable {
		if row.get == nil || (row.set == nil && row.do == nil) || slices.Contains(noDefaultRow, row.name) {
			continue
		}
		want, ok := docDefaults[row.name]
		if !assert.True(t, ok, "setting %s has no documented default in this test", row.name) {
			continue
		}
		got, err := s.Config(row.name)
		require.NoError(t, err, row.name)
		assert.Equal(t, want.read, got, "a new client's %s", row.name)
		assert.Contains(t, rows[row.name], want.doc, "doc.go's row of %s", row.name)
	}
}
