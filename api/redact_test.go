package api

import (
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// A passcode with a double quote or a backslash (common in generated
// passwords) that a broker echoes in an ERROR does not reach the frame
// log: doc.go promises "any text that echoes a secret of three characters
// or more has it replaced by <redacted>". The frame log quotes header
// values (strconv.Quote), so the scrub must know the quoted form too.
func TestFrameLogRedactsAnEchoedPasscodeWithQuotes(t *testing.T) {
	for _, secret := range []string{`Sup3r"Secret`, `Sup3r\Secret`} {
		t.Run(secret, func(t *testing.T) {
			sink := &logSink{}
			logger := slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
				f, err := readFrame(d)
				if err != nil {
					return
				}
				_, _ = conn.Write([]byte("ERROR\nmessage:bad passcode " + f.Header("passcode") + "\n\n\x00"))
			})
			s := newClient(t, WithLogger(logger), WithLogLevel(3), WithUser("guest"), WithPassword(secret))
			logs := collect(s.OnLog)
			err := s.Connect(srv.host, srv.port)
			require.ErrorIs(t, err, ErrServer)
			assert.NotContains(t, err.Error(), "Sup3r", "the error is scrubbed")
			// OnLog's lines up to the ERROR's frame line (the slog
			// logger has it already: it is called where the line is
			// made).
			var leaked []string
			for {
				e := recv(t, logs)
				if strings.Contains(e.Message, "Sup3r") {
					leaked = append(leaked, "OnLog: "+e.Message)
				}
				if strings.HasPrefix(e.Message, "< ERROR") {
					break
				}
			}
			for _, l := range sink.all() {
				if strings.Contains(l, "Sup3r") {
					leaked = append(leaked, "slog: "+l)
				}
			}
			assert.Empty(t, leaked, "the echoed passcode reached a log")
		})
	}
}

// Every form in which text may echo a passcode or a proxy password is
// redacted: as it is, Go-quoted (a frame log, a %q), STOMP header-escaped
// (a raw header) and both.
func TestScrubRedactsEveryEscapedFormOfASecret(t *testing.T) {
	passcode, proxy := "pa:ss\\w\"rd", "pr\"ox:y\\\n"
	s := newClient(t, WithUser("guest"), WithPassword(passcode),
		WithFirewall(Firewall{Type: FirewallSOCKS5, Host: "proxy.example", Port: 1080, Password: proxy}))
	require.Equal(t, passcode, s.Password(), "the passcode was taken")
	require.Equal(t, proxy, s.FirewallPassword(), "the proxy password was taken")
	escape := strings.NewReplacer(`\`, `\\`, "\r", `\r`, "\n", `\n`, ":", `\c`).Replace
	unquote := func(v string) string { q := strconv.Quote(v); return q[1 : len(q)-1] }
	for _, secret := range []string{passcode, proxy} {
		for name, form := range map[string]string{
			"raw": secret, "quoted": unquote(secret), "header-escaped": escape(secret),
			"quoted header-escaped": unquote(escape(secret)),
		} {
			got := s.scrub("refused " + form + " here")
			assert.Equal(t, "refused <redacted> here", got, "%s form of %q", name, secret)
		}
	}
	assert.Equal(t, "nothing to hide", s.scrub("nothing to hide"))
}
