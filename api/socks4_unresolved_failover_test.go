package api

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stompactor/stompactor/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withResolver makes the client resolve the names SOCKS4 sends with r
// (testnet.DNS), so a test does not depend on the machine's DNS.
func withResolver(r *net.Resolver) Option {
	return optionFunc(func(c *config) { c.rareW().resolver = r })
}

// nxdomain is a resolver that knows no name at all.
func nxdomain(t *testing.T) *net.Resolver {
	return testnet.DNS(t, func(string) []netip.Addr { return nil })
}

// From review 14. SOCKS4 resolves the broker's name on the client. A
// name DNS does not know *now* (a record briefly missing, split DNS, an
// AAAA-only broker that later gets an A record) is a failure to reach
// that broker, which the Reconnect policy retries past, as it does
// without a proxy; it is not an invalid setting (ErrInvalidArgument),
// which ends the loop for good. Here the primary is refused by the
// proxy once, the failover name does not resolve, and the primary
// answers on the third attempt. Before the fix Connect returned code 100
// after 2 attempts and the proxy saw 1 request.
func TestAFailoverNameThatDoesNotResolveThroughSOCKS4DoesNotEndReconnecting(t *testing.T) {
	b := newBroker(t)
	bh, bp := hostPort(t, b.Addr())
	var requests atomic.Int32
	ph, pp := scriptProxy(t, func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(wait))
		head := make([]byte, 8)
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		for one := make([]byte, 1); ; { // user id, NUL-terminated
			if _, err := io.ReadFull(c, one); err != nil || one[0] == 0 {
				break
			}
		}
		if requests.Add(1) == 1 {
			// The primary is unreachable for the first attempt.
			_, _ = c.Write([]byte{0, 0x5b, 0, 0, 0, 0, 0, 0})
			return
		}
		ip := netip.AddrFrom4([4]byte(head[4:8]))
		port := binary.BigEndian.Uint16(head[2:4])
		up, err := net.Dial("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(int(port))))
		if err != nil {
			_, _ = c.Write([]byte{0, 0x5b, 0, 0, 0, 0, 0, 0})
			return
		}
		_, _ = c.Write([]byte{0, 0x5a, 0, 0, 0, 0, 0, 0})
		_ = c.SetDeadline(time.Time{})
		testnet.Forward(c, up)
	})
	s := newClient(t, WithFirewall(Firewall{Type: FirewallSOCKS4, Host: ph, Port: pp}),
		WithFailoverServers("broker-b.invalid:61613"),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		WithTimeout(5*time.Second), withResolver(nxdomain(t)))
	err := s.Connect(bh, bp)
	require.NoError(t, err, "the primary answers on the third attempt; an unresolvable failover name ended the reconnect loop instead (code %d, proxy requests %d)", errCode(err), requests.Load())
	assert.Equal(t, int32(2), requests.Load(), "the primary was asked for twice; the unresolved failover name sent the proxy no request")
	assert.True(t, s.Connected())
}

// The same name as the only broker, without a Reconnect policy: Connect
// fails with ErrConnectFailed (the broker could not be reached, as
// without a proxy), its cause a
// *transport.ProxyError of kind ProxyUnresolved wrapping the resolver's
// not-found error; not ErrInvalidArgument.
func TestABrokerNameThatDoesNotResolveThroughSOCKS4IsAConnectFailure(t *testing.T) {
	ph, pp := scriptProxy(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	s := newClient(t, WithFirewall(Firewall{Type: FirewallSOCKS4, Host: ph, Port: pp}),
		WithTimeout(5*time.Second), withResolver(nxdomain(t)))
	err := s.Connect("broker-b.invalid", 61613)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrConnectFailed)
	assert.NotErrorIs(t, err, ErrInvalidArgument)
	var pe *transport.ProxyError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, transport.ProxyUnresolved, pe.Kind)
	var de *net.DNSError
	require.True(t, errors.As(err, &de), "%v", err)
	assert.True(t, de.IsNotFound)
}

func errCode(err error) int {
	if e, ok := err.(*Error); ok {
		return e.Code
	}
	return -1
}
