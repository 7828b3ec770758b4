package transport

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request the proxy protocol cannot carry is a ProxyBadRequest found
// before the proxy is dialed, by the dialers and by CheckProxy alike.
func TestProxyRequestsTheProtocolCannotCarryAreRefusedBeforeDialing(t *testing.T) {
	long := strings.Repeat("u", 300)
	cases := map[string]struct {
		proto, user, pass, target string
		dial                      func(base Dialer) Dialer
	}{
		"HTTP user with a colon": {"HTTP", "DOMAIN:alice", "pw", "127.0.0.1:61613",
			func(b Dialer) Dialer { return HTTPConnect(b, "proxy:3128", "DOMAIN:alice", "pw") }},
		"SOCKS5 user over 255 bytes": {"SOCKS5", long, "pw", "127.0.0.1:61613",
			func(b Dialer) Dialer { return SOCKS5(b, "proxy:1080", long, "pw") }},
		"SOCKS5 password over 255 bytes": {"SOCKS5", "alice", long, "127.0.0.1:61613",
			func(b Dialer) Dialer { return SOCKS5(b, "proxy:1080", "alice", long) }},
		"SOCKS4 user over 255 bytes": {"SOCKS4", long, "", "127.0.0.1:61613",
			func(b Dialer) Dialer { return SOCKS4(b, "proxy:1080", long) }},
		"IPv6 target through SOCKS4": {"SOCKS4", "", "", "[::1]:61613",
			func(b Dialer) Dialer { return SOCKS4(b, "proxy:1080", "") }},
		"IPv6 target through SOCKS4A": {"SOCKS4A", "", "", "[::1]:61613",
			func(b Dialer) Dialer { return SOCKS4A(b, "proxy:1080", "") }},
		"SOCKS5 host name over 255 bytes": {"SOCKS5", "", "", long + ":61613",
			func(b Dialer) Dialer { return SOCKS5(b, "proxy:1080", "", "") }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dialed := false
			base := func(context.Context, string, string) (net.Conn, error) {
				dialed = true
				return nil, errors.New("the proxy was dialed")
			}
			_, err := tc.dial(base)(ctxFor(t, wait), "tcp", tc.target)
			pe := proxyErr(t, err, ProxyBadRequest)
			assert.Equal(t, tc.proto, pe.Proxy)
			assert.False(t, dialed, "the proxy was dialed for a request it cannot carry")

			err = CheckProxy(tc.proto, "proxy:1", tc.user, tc.pass, tc.target)
			var ce *ProxyError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, ProxyBadRequest, ce.Kind)
			assert.Equal(t, "proxy:1", ce.Addr)
		})
	}
	assert.NoError(t, CheckProxy("SOCKS5", "proxy:1", "alice", "pw", "[::1]:61613"))
	assert.NoError(t, CheckProxy("SOCKS4A", "proxy:1", "alice", "", "broker:61613"))
	assert.NoError(t, CheckProxy("HTTP", "proxy:1", "alice", "p:w", ""))
	assert.Error(t, CheckProxy("HTTP", "proxy:1", "a:lice", "pw", ""), "credentials alone are checked")
}
