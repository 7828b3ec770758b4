package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// "Exit codes: ... 2 bad usage (flags, arguments)" (README, stomp --help):
// a bad flag value or argument is the invocation's fault, whatever layer
// finds it, so a script can tell it from a broker that is down (exit 1,
// worth a retry). It is found before any server is tried: the message
// names the flag, once, not each --server.
func TestBadFlagValuesExitWithTheUsageCode(t *testing.T) {
	_, srv := simBroker(t)
	_, other := simBroker(t)
	for name, args := range map[string][]string{
		"negative --timeout":                {"send", "--server", srv, "--timeout", "-1s", "/queue/usage", "x"},
		"zero --timeout":                    {"subscribe", "--server", srv, "--timeout", "0s", "/queue/usage"},
		"--heartbeat out of range":          {"send", "--server", srv, "--heartbeat", "99999999999,0", "/queue/usage", "x"},
		"--heartbeat in out of range":       {"subscribe", "--server", srv, "--heartbeat", "0,2147483648", "/queue/usage"},
		"-H receipt (reserved header)":      {"send", "--server", srv, "-H", "receipt:mine", "/queue/usage", "x"},
		"-H content-length (reserved)":      {"send", "--server", srv, "-H", "content-length:1", "/queue/usage", "hello"},
		"-H destination (reserved)":         {"send", "--server", srv, "-H", "destination:/queue/other", "/queue/usage", "x"},
		"-H transaction (reserved)":         {"send", "--server", srv, "-H", "transaction:t1", "/queue/usage", "x"},
		"send to an empty destination":      {"send", "--server", srv, "", "x"},
		"subscribe to an empty destination": {"subscribe", "--server", srv, "--wait", "1s", ""},
		"-H receipt with two servers":       {"send", "--server", srv, "--server", other, "-H", "receipt:mine", "/queue/usage", "x"},
		"-H receipt with --reconnect":       {"send", "--server", srv, "--reconnect", "-H", "receipt:mine", "/queue/usage", "x"},
		"negative --timeout, --reconnect":   {"subscribe", "--server", srv, "--reconnect", "--timeout", "-1s", "/queue/usage"},
		"demo with a zero --timeout":        {"demo", "--timeout", "0s"},
		// Refused by the library's own option check, at the first Connect.
		"-H name the library refuses": {"send", "--server", srv, "--server", other, "--reconnect", "-H", "a\rb:x", "/queue/usage", "x"},
	} {
		t.Run(name, func(t *testing.T) {
			r := stomp(t, "", args...)
			assert.Equal(t, exitUsage, r.code, "%v: stderr %q", args, r.stderr)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.NotContains(t, r.stderr, "127.0.0.1", "the invocation is at fault, not a server: %q", r.stderr)
			assert.NotContains(t, r.stdout, "started the embedded simulator", "refused before anything starts")
		})
	}
}
