package api

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ProxyExceptionsList takes a CIDR range with a port, as WithProxyExceptions
// and the Config table document and bypass matches ("127.0.0.0/8:port" and
// "[127.0.0.0/8]:port"): the broker on that port is reached directly. Found
// by the transport review (the setter parsed the whole entry as a prefix).
func TestProxyExceptionsTakeACIDRRangeWithAPort(t *testing.T) {
	b := newBroker(t)
	p := newConnectProxy(t, "", "")
	h, port := hostPort(t, b.Addr())
	for _, entry := range []string{"127.0.0.0/8:" + strconv.Itoa(port), "[127.0.0.0/8]:" + strconv.Itoa(port)} {
		s := newClient(t, WithFirewall(Firewall{Type: FirewallTunnel, Host: p.host, Port: p.port}))
		_, err := s.Config("ProxyExceptionsList=" + entry)
		require.NoError(t, err, "a CIDR range with a port, as documented: %q", entry)
		require.NoError(t, s.Connect(h, port))
		assert.Equal(t, int32(0), p.tunnels.Load(), "reached directly with %q", entry)
		require.NoError(t, s.Disconnect())
	}
	for _, entry := range []string{"[2001:db8::/32]:61613", "10.0.0.0/8", "broker:61613", "[::1]:61613"} {
		_, err := newClient(t, WithProxyExceptions(entry)).Config("ProxyExceptionsList=" + entry)
		assert.NoError(t, err, "%q", entry)
	}
}

// A bad range or a bad port in an exception is ErrInvalidArgument.
func TestProxyExceptionsRefuseABadRangeOrPort(t *testing.T) {
	s := newClient(t)
	for _, entry := range []string{"127.0.0.0/33:61613", "[127.0.0.0/8]:0", "127.0.0.0/8:99999", "127.0.0.0/8:http", "10.0.0.0/x"} {
		_, err := s.Config("ProxyExceptionsList=" + entry)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%q", entry)
	}
}
