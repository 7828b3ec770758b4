package transport

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The proxy's words are redacted before they are cut (printable: 120
// bytes of a reason, 80 of a status line or challenge), so a password or
// Basic token that straddles the cut leaves no prefix in the error
// (HTTPConnect: "The password never appears in an error, even when the
// proxy echoes it"). Found by the transport review.
func TestHTTPConnectRedactsTheProxysWordsBeforeCuttingThem(t *testing.T) {
	const pass = "correct-horse-battery-staple"
	token := base64.StdEncoding.EncodeToString([]byte("alice:" + pass))
	cases := map[string]string{
		"407 reason":        "HTTP/1.1 407 " + strings.Repeat("x", 110) + " " + pass + "\r\n\r\n",
		"403 reason":        "HTTP/1.1 403 " + strings.Repeat("x", 110) + " " + pass + "\r\n\r\n",
		"status line":       "XTTP/1.1 " + strings.Repeat("y", 60) + " " + pass + "\r\n",
		"bad status code":   "HTTP/1.1 4x7 " + strings.Repeat("y", 60) + " " + pass + "\r\n",
		"challenge":         "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Basic realm=\"" + strings.Repeat("z", 50) + pass + "\"\r\n\r\n",
		"token in a reason": "HTTP/1.1 407 " + strings.Repeat("x", 100) + " " + token + "\r\n\r\n",
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			d := HTTPConnect(fakeProxy(t, httpProxy(reply, nil, true)), "proxy:3128", "alice", pass)
			_, err := d(ctxFor(t, wait), "tcp", "127.0.0.1:61613")
			if !assert.Error(t, err) {
				return
			}
			assert.NotContains(t, err.Error(), pass[:4], "a prefix of the password: %v", err)
			assert.NotContains(t, err.Error(), token[:4], "a prefix of the token: %v", err)
		})
	}
}
