package api

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAcceptAnyCertificateWarnsPerConnection: SSLAcceptServerCertEncoded
// "*" (what `stomp --tls-insecure` sets) turns certificate verification
// off; at the default LogLevel each connection then logs a warning saying
// so, and OnLog sees it too.
func TestAcceptAnyCertificateWarnsPerConnection(t *testing.T) {
	tb := newTLSBroker(t, nil)
	sink := &logSink{}
	logger := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newClient(t, WithLogger(logger), WithSSL(SSLSettings{Enabled: true, AcceptServerCertEncoded: "*"}))
	onLog := make(chan string, 4)
	s.OnLog(func(e *LogEvent) {
		if strings.Contains(e.Message, "not verified") {
			onLog <- e.Message
		}
	})
	for range 2 {
		require.NoError(t, s.Connect(tb.host, tb.port))
		roundTrip(t, s)
		require.NoError(t, s.Disconnect())
	}
	warnings := 0
	for _, l := range sink.all() {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "not verified") {
			warnings++
		}
	}
	assert.Equal(t, 2, warnings, "one warning per connection at LogLevel %d; log:\n%s", DefaultLogLevel, strings.Join(sink.all(), ""))
	for range 2 {
		select {
		case <-onLog:
		case <-time.After(10 * time.Second):
			t.Fatal("OnLog did not see the warning of each connection")
		}
	}
	assert.Empty(t, onLog)
}
