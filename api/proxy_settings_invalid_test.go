package api

import (
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/transport"
)

// Settings the proxy protocol cannot carry (a Basic user with ':', a SOCKS5
// user over 255 bytes, an IPv6 broker through SOCKS 4) are the caller's
// mistake: Connect reports them as 100 ErrInvalidArgument with the
// transport.ProxyBadRequest in the chain, before anything is dialed, and a
// Reconnect policy that never gives up does not retry them. (They were 209
// ErrProxyFailed, "the proxy was unreachable, refused or misbehaved", and
// retried until Timeout; found by the transport review.)
func TestProxySettingsTheProtocolCannotCarryAreInvalidArgument(t *testing.T) {
	var accepted atomic.Int32
	ph, pp := scriptProxy(t, func(c net.Conn) { accepted.Add(1); _, _ = io.Copy(io.Discard, c) })
	cases := map[string]struct {
		fw   Firewall
		host string
	}{
		"tunnel user with a colon":   {Firewall{Type: FirewallTunnel, Host: ph, Port: pp, User: "DOMAIN:alice", Password: "pw"}, "127.0.0.1"},
		"SOCKS5 user over 255 bytes": {Firewall{Type: FirewallSOCKS5, Host: ph, Port: pp, User: strings.Repeat("u", 300), Password: "pw"}, "127.0.0.1"},
		"IPv6 broker through SOCKS4": {Firewall{Type: FirewallSOCKS4, Host: ph, Port: pp}, "::1"},
	}
	for name, tc := range cases {
		for _, rc := range []Reconnect{{}, {Enabled: true, InitialDelay: 10 * time.Millisecond}} {
			t.Run(name, func(t *testing.T) {
				s := newClient(t, WithFirewall(tc.fw), WithTimeout(5*time.Second), WithReconnect(rc))
				statuses := collect(s.OnConnectionStatus)
				start := time.Now()
				err := s.Connect(tc.host, 61613)
				var pe *transport.ProxyError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, transport.ProxyBadRequest, pe.Kind)
				assert.ErrorIs(t, err, ErrInvalidArgument, "got code %d: %v", codeOf(err), err)
				assert.Equal(t, CodeInvalidArgument, codeOf(err))
				assert.Less(t, time.Since(start), time.Second, "not retried until Timeout")
				for len(statuses) > 0 {
					assert.NotEqual(t, "retrying", (<-statuses).ConnectionEvent)
				}
			})
		}
	}
	assert.Equal(t, int32(0), accepted.Load(), "the proxy was dialed")
}

// Credentials the protocol cannot carry are refused when they are set, by
// the setters and Config alike; a target it cannot carry, when Connect
// knows it.
func TestProxyCredentialsTheProtocolCannotCarryAreRefusedWhenSet(t *testing.T) {
	s := newClient(t, WithFirewall(Firewall{Type: FirewallTunnel, Host: "proxy", Port: 3128}))
	_, err := s.Config("FirewallUser=DOMAIN:alice")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	var pe *transport.ProxyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, transport.ProxyBadRequest, pe.Kind)
	assert.Equal(t, "", s.Firewall().User, "the setting was not made")

	require.NoError(t, s.SetFirewallType(FirewallSOCKS5))
	require.NoError(t, s.SetFirewallUser("DOMAIN:alice"), "SOCKS5 carries a ':'")
	assert.ErrorIs(t, s.SetFirewallPassword(strings.Repeat("p", 256)), ErrInvalidArgument)
	assert.ErrorIs(t, s.SetFirewallType(FirewallTunnel), ErrInvalidArgument, "the user has a ':'")
	assert.Equal(t, FirewallSOCKS5, s.FirewallType())
}
