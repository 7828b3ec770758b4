package transport

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return ln
}

func TestTCPDialsWithOptions(t *testing.T) {
	ln := listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := TCP(TCPOptions{
		LocalHost: "127.0.0.1", NoDelay: true,
		KeepAlive: true, KeepAliveTime: 30 * time.Second, KeepAliveInterval: 5 * time.Second,
		Linger: true, LingerTime: time.Second, ReadBuffer: 64 << 10, WriteBuffer: 64 << 10, IPv6: "never",
	})
	c, err := dial(ctx, "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	local := c.LocalAddr().(*net.TCPAddr)
	require.Equal(t, "127.0.0.1", local.IP.String())
}

func TestTCPLocalHostByName(t *testing.T) {
	ln := listen(t)
	c, err := TCP(TCPOptions{LocalHost: "localhost", IPv6: "never"})(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func TestTCPBadLocalHost(t *testing.T) {
	ln := listen(t)
	_, err := TCP(TCPOptions{LocalHost: "no-such-host.invalid"})(context.Background(), "tcp", ln.Addr().String())
	require.ErrorContains(t, err, "local host")
}

func TestTCPRefused(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err := TCP(TCPOptions{})(context.Background(), "tcp", addr)
	require.Error(t, err)
}

func TestTCPContextBoundsDial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := TCP(TCPOptions{})(ctx, "tcp", "127.0.0.1:1")
	require.Error(t, err)
}

func TestHostPort(t *testing.T) {
	require.Equal(t, "[::1]:61613", HostPort("::1", 61613))
	require.Equal(t, "broker:61613", HostPort("broker", 61613))
}
