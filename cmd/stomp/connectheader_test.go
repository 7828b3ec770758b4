package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// --connect-header puts extra headers on CONNECT (client-id for an
// ActiveMQ durable subscription), in order; a header the client writes
// itself, or one without a name, is bad usage (exit 2), found before any
// server is tried.
func TestConnectHeaderFlag(t *testing.T) {
	b, srv := simBroker(t)
	r := stomp(t, "", "send", "--server", srv, "--connect-header", "client-id:cli-1", "--connect-header", "x-app:a:b", "/queue/connect-header", "x")
	require.Equal(t, 0, r.code, "stderr %q", r.stderr)
	// The process has exited, but the broker may not have seen the close
	// yet: wait (bounded) until it has.
	var ci sim.ConnInfo
	eventually(t, "connection 1 closed", func() bool {
		var ok bool
		ci, ok = b.ClosedConnection(1)
		return ok
	})
	require.NotEmpty(t, ci.Received)
	connect := ci.Received[0]
	require.Equal(t, frames.CmdConnect, connect.Command)
	var extra []frames.Header
	for _, h := range connect.Headers {
		if h.Key == "client-id" || h.Key == "x-app" {
			extra = append(extra, h)
		}
	}
	require.Equal(t, []frames.Header{{Key: "client-id", Value: "cli-1"}, {Key: "x-app", Value: "a:b"}}, extra)

	for _, bad := range []string{"login:me", "passcode:p", "host:/", "heart-beat:0,0", "accept-version:1.2", "receipt:r", "no-colon", ":v"} {
		r := stomp(t, "", "subscribe", "--server", srv, "--wait", "1s", "--connect-header", bad, "/queue/connect-header")
		require.Equal(t, exitUsage, r.code, "%s: stderr %q", bad, r.stderr)
		require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		require.NotContains(t, r.stderr, "127.0.0.1", "the invocation is at fault, not a server: %q", r.stderr)
	}
}
