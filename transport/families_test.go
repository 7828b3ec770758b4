package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needIPv6 skips the test on a machine without an IPv6 loopback.
func needIPv6(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_ = ln.Close()
}

// acceptor accepts on ln until it closes, closing each connection.
func acceptor(t *testing.T, ln net.Listener) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
}

// dualPort listens on one port of both loopbacks, or on the IPv4 one only
// when withV6 is false (the port's IPv6 side then refuses).
func dualPort(t *testing.T, withV6 bool) string {
	t.Helper()
	for range 20 {
		l4, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		port := strconv.Itoa(l4.Addr().(*net.TCPAddr).Port)
		if !withV6 {
			acceptor(t, l4)
			return port
		}
		l6, err := net.Listen("tcp6", "[::1]:"+port)
		if err != nil {
			_ = l4.Close() // taken on the IPv6 side: try another
			continue
		}
		acceptor(t, l4)
		acceptor(t, l6)
		return port
	}
	t.Fatal("no port free on both loopbacks")
	return ""
}

func lookupOf(addrs ...string) lookupFunc {
	return func(context.Context, string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

func TestIPv6FirstPrefersIPv6(t *testing.T) {
	needIPv6(t)
	port := dualPort(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// The resolver lists IPv4 first, as one on a host without IPv6
	// routes would: the IPv6 address is still tried first. A host with
	// IPv4 addresses only is reached over IPv4.
	for _, tc := range []struct {
		addrs []string
		want  string
	}{{[]string{"127.0.0.1", "::1"}, "::1"}, {[]string{"127.0.0.1"}, "127.0.0.1"}} {
		c, err := TCP(TCPOptions{IPv6: "ipv6-first", lookup: lookupOf(tc.addrs...)})(ctx, "tcp", net.JoinHostPort("broker.test", port))
		require.NoError(t, err, tc.addrs)
		assert.Equal(t, tc.want, c.RemoteAddr().(*net.TCPAddr).IP.String(), tc.addrs)
		require.NoError(t, c.Close())
	}
}

func TestIPv6FirstFallsBackToIPv4(t *testing.T) {
	needIPv6(t)
	port := dualPort(t, false) // [::1] refuses
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := TCP(TCPOptions{IPv6: "ipv6-first", lookup: lookupOf("::1", "127.0.0.1")})(ctx, "tcp", net.JoinHostPort("broker.test", port))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", c.RemoteAddr().(*net.TCPAddr).IP.String())
	require.NoError(t, c.Close())
}

func TestIPv6FirstErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ln := listen(t)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	require.NoError(t, ln.Close())
	_, err := TCP(TCPOptions{IPv6: "ipv6-first", lookup: lookupOf("::1", "127.0.0.1")})(ctx, "tcp", net.JoinHostPort("broker.test", port))
	require.Error(t, err, "both refuse")

	noSuch := errors.New("no such host")
	_, err = TCP(TCPOptions{IPv6: "ipv6-first", lookup: func(context.Context, string) ([]netip.Addr, error) { return nil, noSuch }})(ctx, "tcp", "broker.test:1")
	require.ErrorIs(t, err, noSuch)
	_, err = TCP(TCPOptions{IPv6: "ipv6-first", lookup: lookupOf()})(ctx, "tcp", "broker.test:1")
	require.ErrorContains(t, err, "no address found")

	// A literal address is dialed as it is.
	ln = listen(t)
	c, err := TCP(TCPOptions{IPv6: "ipv6-first"})(ctx, "tcp", ln.Addr().String())
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

// An IPv6 address that never answers holds the dial for fallbackDelay
// only: then IPv4 is tried beside it, wins, and the IPv6 attempt is
// canceled.
func TestIPv6FirstRacesAStalledIPv6(t *testing.T) {
	needIPv6(t)
	port := dualPort(t, true)
	stalled := make(chan struct{}, 1)
	o := TCPOptions{IPv6: "ipv6-first", lookup: lookupOf("::1", "127.0.0.1"),
		control: func(ctx context.Context, network, _ string, _ syscall.RawConn) error {
			if network == "tcp6" {
				stalled <- struct{}{}
				<-ctx.Done() // a black hole, until the winner cancels it
				return ctx.Err()
			}
			return nil
		}}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := TCP(o)(ctx, "tcp", net.JoinHostPort("broker.test", port))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", c.RemoteAddr().(*net.TCPAddr).IP.String())
	require.NoError(t, c.Close())
	select {
	case <-stalled:
	default:
		t.Fatal("IPv6 was not tried first")
	}
}
