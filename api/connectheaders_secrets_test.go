package api

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Extra CONNECT headers that carry a token under the names brokers and
// frameworks use (Spring's X-Authorization, access-token, x-auth-token)
// are named like secrets, in any case: their values are redacted from the
// frame log (LogLevel 3, stomp --debug) and scrubbed from every log line
// and error as Password is.
func TestConnectHeaderSecretsNamedLikeSecretsAreRedacted(t *testing.T) {
	b := newBroker(t)
	var logs logSink
	s := connectTo(t, b, "1.2", WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithLogLevel(3),
		WithConnectHeader("X-Authorization", "Bearer jwt-secret-value"),
		WithConnectHeader("access-token", "acc-secret-value"),
		WithConnectHeader("x-auth-token", "xat-secret-value"),
		WithConnectHeader("client-id", "app-r22"))
	require.NoError(t, s.Disconnect())
	all := strings.Join(logs.all(), "\n")
	require.Contains(t, all, "X-Authorization:<redacted>")
	require.Contains(t, all, "client-id:app-r22", "a header not named like a secret is logged")
	for _, secret := range []string{"jwt-secret-value", "acc-secret-value", "xat-secret-value"} {
		require.NotContains(t, all, secret, "a CONNECT header value named like a secret is in the frame log")
		require.NotContains(t, s.scrub("echo "+secret), secret, "not scrubbed as Password is")
	}
}
