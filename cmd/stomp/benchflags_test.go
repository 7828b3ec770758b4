package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// --receipts is refused, before anything runs, for the scenarios that
// send no receipt (it was recorded on their results, and ignored).
func TestBenchRefusesReceiptsWhereNoneAreSent(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--receipts", "--scenario", "latency"},
		{"bench", "--receipts"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "--receipts applies to publish, pubsub only", args)
	}
}

// bench takes the connection flags it honours (one --server, --login,
// --passcode, --timeout) and refuses the others as unknown: it accepted
// them all and measured without them (a proxy that did not exist, TLS
// against a plain peer, --debug logging nothing).
func TestBenchRefusesTheConnectionFlagsItCannotHonour(t *testing.T) {
	base := []string{"bench", "--scenario", "publish", "--size", "0", "--duration", "10ms"}
	for _, extra := range [][]string{
		{"--proxy", "socks5://127.0.0.1:1"},
		{"--proxy-from-env"},
		{"--tls"},
		{"--tls-ca", "ca.pem"},
		{"--heartbeat", "10,10"},
		{"--stomp-version", "1.0"},
		{"--debug"},
		{"--reconnect"},
		{"--config", "MaxBodySize=1"},
	} {
		r := stomp(t, "", append(append([]string(nil), base...), extra...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", extra, r.stderr)
		assert.Contains(t, r.stderr, "unknown flag: "+extra[0], extra)
	}
	r := stomp(t, "", append(base, "--server", "stomp://127.0.0.1:1", "--server", "stomp://127.0.0.1:2")...)
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "one --server, not 2")
	r = stomp(t, "", "bench", "--help")
	assert.Equal(t, 0, r.code, r.stderr)
	for _, flag := range []string{"--server", "--login", "--passcode", "--timeout"} {
		assert.Contains(t, r.stdout, flag)
	}
	assert.NotContains(t, r.stdout, "--tls")
}
