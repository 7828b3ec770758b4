package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SOCKS4 resolves the target's name here, with the resolver it is given
// (a fake DNS server, so the machine's DNS plays no part). A name DNS
// does not know now, or one with no IPv4 address, is ProxyUnresolved
// (which a Reconnect policy retries: the name may resolve later), never
// ProxyBadRequest (a setting the protocol can never carry); the proxy
// is not even dialed for it. CheckProxy, which runs when the settings
// are read, passes any host name through SOCKS4.
func TestSOCKS4ANameThatDoesNotResolveNowIsUnresolvedNotABadRequest(t *testing.T) {
	r := testnet.DNS(t, func(name string) []netip.Addr {
		switch name {
		case "broker.test":
			return []netip.Addr{netip.MustParseAddr("192.0.2.7")}
		case "v6-only.test":
			return []netip.Addr{netip.MustParseAddr("2001:db8::7")}
		}
		return nil
	})
	t.Run("a name DNS answers is sent as its IPv4 address", func(t *testing.T) {
		got := make(chan []byte, 1)
		d := SOCKS4WithResolver(fakeProxy(t, socks4Server([]byte{0, 90, 0, 0, 0, 0, 0, 0}, got)), "proxy:1080", "", r)
		conn, err := d(ctxFor(t, wait), "tcp", "broker.test:61613")
		require.NoError(t, err)
		defer conn.Close()
		assert.Equal(t, []byte{4, 1, 0xf0, 0xad, 192, 0, 2, 7, 0}, <-got)
	})
	for _, target := range []string{"broker-b.invalid:61613", "v6-only.test:61613"} {
		t.Run(target, func(t *testing.T) {
			require.NoError(t, CheckProxy("SOCKS4", "proxy:1080", "", "", target), "a host name is not a setting SOCKS4 cannot carry")
			requests := make(chan []byte, 1)
			var dials atomic.Int32
			proxy := fakeProxy(t, socks4Server([]byte{0, 91, 0, 0, 0, 0, 0, 0}, requests))
			counted := func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return proxy(ctx, network, addr)
			}
			d := SOCKS4WithResolver(counted, "proxy:1080", "", r)
			_, err := d(ctxFor(t, wait), "tcp", target)
			pe := proxyErr(t, err, ProxyUnresolved)
			assert.Equal(t, "SOCKS4", pe.Proxy)
			assert.Equal(t, target, pe.Target)
			assert.Contains(t, err.Error(), "cannot resolve")
			var de *net.DNSError
			require.True(t, errors.As(err, &de), "the resolver's error is the cause: %v", err)
			assert.True(t, de.IsNotFound, "%v", de)
			assert.Empty(t, requests, "no request reached the proxy")
			assert.Zero(t, dials.Load(), "the proxy was dialed for a name that does not resolve")
		})
	}
}
