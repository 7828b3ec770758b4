package transport

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// From review 14. RedactURL's doc: "user information is dropped and a
// query string (which may carry a token) is replaced", fit for logs and
// errors; WSError "never holds user information of the URL". A password
// pasted unescaped with one of '/', '?' or '#' in it (a common mistake,
// and the very URL ParseWSURL then refuses, quoting it in its error) kept
// the user and a part or all of the password: safeURL looked for '@' only
// before the first '/', '?' or '#'.
func TestRedactURLDropsUserInformationWithReservedCharacters(t *testing.T) {
	for _, raw := range []string{
		"ws://alice:s3cr#etpass@broker:15674/ws",
		"ws://alice:s3cr?etpass@broker:15674/ws",
		"ws://alice:s3cr/etpass@broker:15674/ws",
	} {
		got := RedactURL(raw)
		assert.NotContains(t, got, "s3cr", "RedactURL(%q) = %q", raw, got)
		assert.NotContains(t, got, "alice", "RedactURL(%q) = %q", raw, got)
		_, err := ParseWSURL(raw)
		if assert.Error(t, err) {
			assert.NotContains(t, err.Error(), "s3cr", "ParseWSURL(%q): %v", raw, err)
			assert.NotContains(t, err.Error(), "alice", "ParseWSURL(%q): %v", raw, err)
		}
	}
}

// RedactURL over the forms a WebSocket URL comes in: the user and the
// password (here always "alice" and something with "s3cr" in it) are
// gone whatever url.Parse makes of the URL; what is surely not user
// information is kept; what may have been is marked "<redacted>@". The
// query is hidden. ParseWSURL's error, when it has one, hides them too.
func TestRedactURLForms(t *testing.T) {
	long := "ws://alice:" + strings.Repeat("s3cr", 100) + "@broker/ws"
	cases := []struct{ name, raw, want string }{
		{"ws, no user", "ws://broker/ws", "ws://broker/ws"},
		{"ws with port, no user", "ws://broker:15674/ws", "ws://broker:15674/ws"},
		{"wss with fragment", "wss://broker/ws#part", "wss://broker/ws#part"},
		{"ws user and password", "ws://alice:s3cret@broker/ws", "ws://broker/ws"},
		{"ws user and password, port, no path", "ws://alice:s3cret@broker:15674", "ws://broker:15674"},
		{"wss user only", "wss://alice@broker:443/ws", "wss://broker:443/ws"},
		{"wss user, password and query", "wss://alice:s3cret@broker:443/ws?access_token=tok", "wss://broker:443/ws?<redacted>"},
		{"upper-case scheme", "WSS://alice:s3cret@broker/ws", "WSS://broker/ws"},
		{"IPv6", "ws://alice:s3cret@[::1]:15674/ws", "ws://[::1]:15674/ws"},
		{"IPv6 without port", "wss://alice:s3cret@[2001:db8::1]/ws", "wss://[2001:db8::1]/ws"},
		{"IPv6 zone", "ws://alice:s3cret@[fe80::1%25eth0]:15674/ws", "ws://[fe80::1%25eth0]:15674/ws"},
		{"IPv6, no user", "ws://[::1]:15674/ws", "ws://[::1]:15674/ws"},
		{"escaped reserved characters", "ws://alice:s3cr%23e%3Ft%2F%40@broker:15674/ws", "ws://broker:15674/ws"},
		{"unescaped @ in the password", "ws://alice:s3cr@et@broker:15674/ws", "ws://broker:15674/ws"},
		{"unescaped : in the password", "ws://alice:s3cr:et@broker/ws", "ws://broker/ws"},
		{"unescaped backslash", `ws://alice:s3cr\et@broker/ws`, "ws://broker/ws"},
		{"unescaped #", "ws://alice:s3cr#et@broker:15674/ws", "ws://<redacted>@broker:15674/ws"},
		{"unescaped ?", "ws://alice:s3cr?et@broker:15674/ws", "ws://<redacted>@broker:15674/ws"},
		{"unescaped /", "ws://alice:s3cr/et@broker:15674/ws", "ws://<redacted>@broker:15674/ws"},
		{"unescaped / with a digit password", "ws://alice:1234/s3cr@broker/ws", "ws://<redacted>@broker/ws"},
		{"unescaped / and a query", "wss://alice:s3cr/et@[::1]/ws?token=tok", "wss://<redacted>@[::1]/ws?<redacted>"},
		{"unescaped ://", "ws://alice:s3cr://et@broker/ws", "ws://<redacted>@broker/ws"},
		{"no scheme", "alice:s3cret@broker:15674/ws", "broker:15674/ws"},
		{"no scheme, :// in the password", "alice:s3cr://et@broker/ws", "<redacted>@broker/ws"},
		{"white space around", " \tws://alice:s3cret@broker/ws\n", "ws://broker/ws"},
		{"control character in the password", "ws://alice:s3cr\x00et@broker/ws", "ws://broker/ws"},
		{"@ in the query", "ws://broker/ws?reply=alice:s3cr@example", "ws://<redacted>@example"},
		{"password over 200 bytes", long, "ws://broker/ws"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := RedactURL(c.raw)
			assert.Equal(t, c.want, got)
			assert.NotContains(t, got, "s3cr")
			assert.NotContains(t, got, "alice")
			assert.NotContains(t, got, "tok")
			if _, err := ParseWSURL(c.raw); err != nil {
				assert.NotContains(t, err.Error(), "s3cr")
				assert.NotContains(t, err.Error(), "alice")
				assert.NotContains(t, err.Error(), "tok")
			}
		})
	}
}

// A *url.Error in a dial error's chain (net/http quotes the URL it
// requested) has its URL redacted, user information and query alike.
func TestRedactQueryRedactsTheURLOfAURLError(t *testing.T) {
	ue := &url.Error{Op: "Get", URL: "http://alice:1234/s3cr@broker/ws?token=tok", Err: errors.New("EOF")}
	err := redactQuery(ue, "token=tok")
	assert.NotContains(t, err.Error(), "s3cr")
	assert.NotContains(t, err.Error(), "tok")
	assert.Equal(t, "http://<redacted>@broker/ws?<redacted>", ue.URL)
	assert.ErrorIs(t, err, ue, "the chain is kept")
}
