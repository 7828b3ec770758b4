package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// asUsage (connectWith) takes any api.ErrInvalidArgument of a
// Connect as "every server would refuse it too" and stops at the first
// --server. A refusal that belongs to one server's address (an IPv6 broker
// address that a SOCKS4 proxy cannot carry, api.Firewall's doc) is not the
// invocation's fault for the others: the next --server, reached directly
// (NO_PROXY), must still be tried, and the send succeed.
// With --reconnect every client lists the other servers for failover: the
// refused address is left out of those lists, whichever place it has.
func TestAPerServerRefusalDoesNotStopTheOtherServers(t *testing.T) {
	_, srv := simBroker(t)
	t.Setenv("HTTPS_PROXY", "socks4://127.0.0.1:1")
	t.Setenv("ALL_PROXY", "")
	t.Setenv("NO_PROXY", "127.0.0.1")
	const v6 = "stomp://guest:guest@[::1]:61613"
	for name, args := range map[string][]string{
		"refused first":                {"--server", v6, "--server", srv},
		"refused first, --reconnect":   {"--reconnect", "--server", v6, "--server", srv},
		"refused second, --reconnect":  {"--reconnect", "--server", srv, "--server", v6},
		"refused between, --reconnect": {"--reconnect", "--server", v6, "--server", v6, "--server", srv},
	} {
		t.Run(name, func(t *testing.T) {
			r := stomp(t, "", append(append([]string{"send", "--proxy-from-env"}, args...), "/queue/perserver", "x")...)
			assert.Equal(t, 0, r.code, "a --server is reachable; stderr %q", r.stderr)
			assert.False(t, strings.Contains(r.stderr, "SOCKS4") && r.code == exitUsage,
				"exit 2 for a setting only one server's address trips: %q", r.stderr)
		})
	}
}

// A proxy setting refused whatever the server (a SOCKS5 user over 255
// bytes) is still bad usage: exit 2, once, the second server not tried.
func TestAProxyCredentialRefusalIsBadUsageOnce(t *testing.T) {
	_, srv := simBroker(t)
	_, other := simBroker(t)
	t.Setenv("HTTPS_PROXY", "socks5://"+strings.Repeat("u", 300)+"@127.0.0.1:1")
	t.Setenv("ALL_PROXY", "")
	t.Setenv("NO_PROXY", "")
	r := stomp(t, "", "send", "--proxy-from-env", "--server", srv, "--server", other, "/queue/perserver", "x")
	assert.Equal(t, exitUsage, r.code, "stderr %q", r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
}
