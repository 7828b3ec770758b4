package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBadServerURLDoesNotEchoThePassword: a --server (or --proxy,
// --target) whose password holds an unescaped '/', '?', '#' or '@' (a
// pasted password) is a usage error that quotes no part of the password:
// neither net/url's own error ("invalid port \":s3cr\" after host") nor a
// URL cut at the first '@' rather than the last.
func TestBadServerURLDoesNotEchoThePassword(t *testing.T) {
	for _, c := range []struct{ url, secret string }{
		{"stomp://bob:s3cr/etpw@127.0.0.1:1", "s3cr"},
		{"stomp://bob:s3cr#etpw@127.0.0.1:1", "s3cr"},
		{"stomp://bob:s3cr?etpw@127.0.0.1:1", "s3cr"},
		{"ws://bob:s3cr/etpw@127.0.0.1:1/ws", "s3cr"},
		{"stomp://bob:hunter@2%zzpw@127.0.0.1:1", "2%zzpw"},
		{"stomp://bob:hunter@2%zzpw@127.0.0.1:1", "hunter"},
	} {
		r := stomp(t, "", "send", "--timeout", "2s", "--server", c.url, "/queue/a", "x")
		assert.NotEqual(t, 0, r.code)
		assert.NotContains(t, r.stderr, c.secret, "--server %s: stderr quotes part of the password", c.url)
	}
	for _, args := range [][]string{
		{"send", "--timeout", "2s", "--server", "127.0.0.1:1", "--proxy", "socks5://bob:s3cr/etpw@127.0.0.1:1", "/queue/a", "x"},
		{"proxy", "--target", "stomp://bob:s3cr/etpw@127.0.0.1:1"},
		{"proxy", "--target", "stomp://bob:s3cr#etpw@127.0.0.1:1"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.NotContains(t, r.stderr, "s3cr", "%v: stderr quotes part of the password", args)
	}
}

// TestServerURLWithAtAfterSlashIsRefused: stomp://bob:1234/x@host is a
// password "1234/x" pasted unescaped, which net/url reads as host "bob",
// port 1234 and path "/x@host": it is refused as a usage error (exit 2),
// before anything is dialed, naming neither "1234" nor "bob:1234", and
// saying how to write it; so is the same in --proxy.
func TestServerURLWithAtAfterSlashIsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"send", "--timeout", "2s", "--server", "stomp://bob:1234/x@127.0.0.1:1", "/queue/a", "x"},
		{"send", "--timeout", "2s", "--server", "stomp://bob:1234?x@127.0.0.1:1", "/queue/a", "x"},
		{"send", "--timeout", "2s", "--server", "ws://bob:1234/x@127.0.0.1:1/ws", "/queue/a", "x"},
		{"send", "--timeout", "2s", "--server", "127.0.0.1:1", "--proxy", "socks5://bob:1234/x@127.0.0.1:1", "/queue/a", "x"},
		{"bench", "--server", "stomp://bob:1234/x@127.0.0.1:1", "--scenario", "publish", "--size", "0", "--count", "1"},
	} {
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.NotContains(t, r.stderr, "1234", "%v", args)
		assert.Contains(t, r.stderr, "%40", "%v: the error says how to write the password", args)
	}
	// A vhost or WebSocket query with an '@' after real user information
	// is still taken as it is.
	for _, u := range []string{"stomp://bob:pw@127.0.0.1:1/v@h", "ws://bob:pw@127.0.0.1:1/ws?who=a@b"} {
		sv, err := parseServer(u)
		if assert.NoError(t, err, u) {
			assert.Equal(t, "127.0.0.1", sv.Host)
			assert.Equal(t, "pw", sv.Passcode)
		}
	}
	sv, err := parseServer("ws://127.0.0.1:1/ws?who=a@b")
	if assert.NoError(t, err) {
		assert.Equal(t, "127.0.0.1", sv.Host)
	}
}
