package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// send --trace prints the trace id each message carries. A message given
// a valid traceparent of its own with -H keeps it (the library keeps a
// valid one the caller set), so the id printed is that one, the id
// subscribe --trace finds on the message; a malformed one is replaced by
// the new trace's, and that is the id printed.
func TestSendTracePrintsTheTraceTheMessageCarries(t *testing.T) {
	srv := newSim(t)
	for name, own := range map[string]string{
		"valid own traceparent":     "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"malformed own traceparent": "00-not-a-trace-01",
	} {
		t.Run(name, func(t *testing.T) {
			q := "/queue/trace-own-" + strings.ReplaceAll(name, " ", "-")
			r := stomp(t, "", "send", "--server", srv, "--trace", "--count", "2", "-H", "traceparent:"+own, q, "x")
			require.Equal(t, 0, r.code, r.stderr)
			printed := strings.Split(strings.TrimSpace(r.stdout), "\n")
			require.Len(t, printed, 2, r.stdout)
			for _, p := range printed {
				require.Regexp(t, traceIDLine, p)
			}

			r = stomp(t, "", "subscribe", "--server", srv, "--trace", "--count", "2", q)
			require.Equal(t, 0, r.code, r.stderr)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			require.Len(t, lines, 4, r.stdout)
			carried := []string{lines[0], lines[2]}
			assert.Equal(t, carried, printed, "send --trace printed a trace id the message does not carry")
			if strings.Contains(name, "valid") && !strings.Contains(name, "malformed") {
				assert.Equal(t, "trace-id: 0af7651916cd43dd8448eb211c80319c", carried[0])
			}
		})
	}
}
