package api

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/transport"
)

func TestHostileProxiesGiveProxyFailedOfTheirKind(t *testing.T) {
	b := newBroker(t)
	h, port := hostPort(t, b.Addr())
	cases := map[string]struct {
		typ    FirewallType
		script func(c net.Conn)
		kind   transport.ProxyErrorKind
	}{
		"socks5 garbage": {FirewallSOCKS5, func(c net.Conn) { _, _ = c.Read(make([]byte, 16)); _, _ = c.Write([]byte("HTTP/1.1 400 Bad\r\n\r\n")) }, transport.ProxyMalformed},
		"socks5 refuses": {FirewallSOCKS5, func(c net.Conn) {
			_, _ = io.ReadFull(c, make([]byte, 3))
			_, _ = c.Write([]byte{5, 0})
			_, _ = c.Read(make([]byte, 300))
			_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		}, transport.ProxyRefused},
		"socks4 closes": {FirewallSOCKS4, func(c net.Conn) { _, _ = c.Read(make([]byte, 64)) }, transport.ProxyMalformed},
		"http garbage":  {FirewallTunnel, func(c net.Conn) { _, _ = c.Read(make([]byte, 1024)); _, _ = c.Write([]byte("\x00\x01\x02garbage\n\n")) }, transport.ProxyMalformed},
		"http 403": {FirewallTunnel, func(c net.Conn) {
			_, _ = c.Read(make([]byte, 1024))
			_, _ = c.Write([]byte("HTTP/1.1 403 Forbidden\r\n\r\n"))
		}, transport.ProxyRefused},
		"http huge headers": {FirewallTunnel, func(c net.Conn) {
			_, _ = c.Read(make([]byte, 1024))
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\n"))
			for i := 0; i < 1000; i++ {
				if _, err := c.Write([]byte("X-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")); err != nil {
					return
				}
			}
		}, transport.ProxyTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			ph, pp := scriptProxy(t, tc.script)
			s := newClient(t, WithFirewall(Firewall{Type: tc.typ, Host: ph, Port: pp}), WithTimeout(5*time.Second))
			err := s.Connect(h, port)
			require.ErrorIs(t, err, ErrProxyFailed, "got %v", err)
			var pe *transport.ProxyError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.kind, pe.Kind, "%v", err)
		})
	}
}

// A proxy that accepts and never answers, with ConnectionTimeout: ErrTimeout in time.
func TestAHangingProxyTimesOut(t *testing.T) {
	b := newBroker(t)
	h, port := hostPort(t, b.Addr())
	for _, typ := range []FirewallType{FirewallTunnel, FirewallSOCKS4, FirewallSOCKS4A, FirewallSOCKS5} {
		t.Run(typ.String(), func(t *testing.T) {
			noLeaks(t)
			ph, pp := scriptProxy(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
			s := newClient(t, WithFirewall(Firewall{Type: typ, Host: ph, Port: pp}), WithConnectionTimeout(300*time.Millisecond))
			start := time.Now()
			err := s.Connect(h, port)
			assert.ErrorIs(t, err, ErrTimeout, "got %v", err)
			assert.Less(t, time.Since(start), 3*time.Second)
		})
	}
}

// Timeout 0: Connect returns at once and the attempt has no bound; Close
// must still end it without leaking.
func TestCloseEndsAHangingProxyHandshake(t *testing.T) {
	noLeaks(t)
	b := newBroker(t)
	h, port := hostPort(t, b.Addr())
	accepted := make(chan struct{}, 1)
	ph, pp := scriptProxy(t, func(c net.Conn) { accepted <- struct{}{}; _, _ = io.Copy(io.Discard, c) })
	s := NewSTOMP(WithFirewall(Firewall{Type: FirewallSOCKS5, Host: ph, Port: pp}), WithTimeout(0))
	require.NoError(t, s.Connect(h, port))
	recv(t, accepted)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while the proxy handshake hung")
	}
}
