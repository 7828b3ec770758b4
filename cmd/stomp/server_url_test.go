package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestServerURLShapesParse: URLs that parsed before the
// security mends (users with an escaped '@', IPv6 hosts, vhost paths,
// WebSocket URLs with a query, stomp+ssl) still parse to the same server.
func TestServerURLShapesParse(t *testing.T) {
	for _, c := range []struct {
		url         string
		host, login string
		pass, vhost string
		port        int
	}{
		{url: "stomp://bob%40corp:p%40ss@broker:61613/vh", host: "broker", login: "bob@corp", pass: "p@ss", vhost: "vh", port: 61613},
		{url: "stomp://[::1]:61613", host: "::1", port: 61613},
		{url: "stomp+ssl://u:p@[2001:db8::1]:61612/", host: "2001:db8::1", login: "u", pass: "p", vhost: "/", port: 61612},
		{url: "stomp://u:p@host/my@vhost", host: "host", login: "u", pass: "p", vhost: "my@vhost", port: 61613},
		{url: "ws://u:p@host:15674/ws?token=a@b", host: "host", login: "u", pass: "p", vhost: "/", port: 15674},
		{url: "wss://host/ws?x=1#frag@x", host: "host", vhost: "/", port: 443},
		{url: "bob@host:1234", host: "host", login: "bob", port: 1234},
	} {
		sv, err := parseServer(c.url)
		if !assert.NoError(t, err, c.url) {
			continue
		}
		assert.Equal(t, c.host, sv.Host, c.url)
		assert.Equal(t, c.port, sv.Port, c.url)
		assert.Equal(t, c.login, sv.Login, c.url)
		assert.Equal(t, c.pass, sv.Passcode, c.url)
		assert.Equal(t, c.vhost, sv.VHost, c.url)
	}
}

// TestVHostWithAtAndNoUserParses: stomp://host/team@prod, a virtual host
// holding an '@' with no user information and no ':' before the '@' (so
// no password that could have been pasted there), parses with the virtual
// host "team@prod", as it did before the refusal of pasted passwords; the
// shapes that can hide a password (a ':' before the '@') are still
// refused.
func TestVHostWithAtAndNoUserParses(t *testing.T) {
	for url, vhost := range map[string]string{
		"stomp://host/team@prod":         "team@prod",
		"host/team@prod":                 "team@prod",
		"stomp://[::1]/team@prod":        "team@prod",
		"stomp+ssl://host/a/b@c@d":       "a/b@c@d",
		"stomp://host:61613/team%40prod": "team@prod",
	} {
		sv, err := parseServer(url)
		if assert.NoError(t, err, url) {
			assert.Equal(t, vhost, sv.VHost, url)
		}
	}
	for _, url := range []string{
		"stomp://bob:1234/x@host",   // password "1234/x"
		"stomp://bob:1234?x@host",   // password "1234?x"
		"stomp://bob:1234#x@host",   // password "1234#x"
		"stomp://bo/b:secret@host",  // user "bo/b", password "secret"
		"stomp://[::1]:1234/x@host", // ambiguous: written %40
		"ws://bob:1234/x@host/ws",
	} {
		_, err := parseServer(url)
		assert.Error(t, err, url)
	}
}

// TestIPv6HostWithoutPortGetsTheDefaultPort: stomp://[::1] (default
// port) gives Host "::1", which String and the dial bracket once
// ("[::1]:61613"), as a URL with a port does; so does --proxy.
func TestIPv6HostWithoutPortGetsTheDefaultPort(t *testing.T) {
	for _, u := range []string{"stomp://[::1]", "stomp+ssl://u:p@[2001:db8::1]/vh"} {
		sv, err := parseServer(u)
		if assert.NoError(t, err, u) {
			assert.NotContains(t, sv.Host, "[", u)
			assert.NotContains(t, sv.String(), "[[", u)
		}
	}
	sv, err := parseServer("stomp://[::1]")
	if assert.NoError(t, err) {
		assert.Equal(t, "[::1]:61613", sv.String())
	}
	fw, err := parseProxy("socks5://[::1]")
	if assert.NoError(t, err) {
		assert.Equal(t, "::1", fw.Host)
	}
	fw, err = parseProxy("socks5://u:p@[2001:db8::1]:1080")
	if assert.NoError(t, err) {
		assert.Equal(t, "2001:db8::1", fw.Host)
		assert.Equal(t, 1080, fw.Port)
	}
}
