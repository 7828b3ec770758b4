package transport

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// keepAliveOf dials ln with o and reads the socket's TCP_KEEPIDLE and
// TCP_KEEPINTVL, in seconds.
func keepAliveOf(t *testing.T, o TCPOptions, addr string) (idle, intvl int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := TCP(o)(ctx, "tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	sc, ok := c.(syscall.Conn)
	require.True(t, ok, "%T", c)
	raw, err := sc.SyscallConn()
	require.NoError(t, err)
	var errIdle, errIntvl error
	require.NoError(t, raw.Control(func(fd uintptr) {
		idle, errIdle = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		intvl, errIntvl = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL)
	}))
	require.NoError(t, errIdle)
	require.NoError(t, errIntvl)
	return idle, intvl
}

// readSysctl reads an integer from /proc/sys; the test is skipped where
// it cannot be read.
func readSysctl(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("the system's value is unknown: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return n
}

// KeepAliveTime and KeepAliveInterval 0 leave the system's values (Go's
// own default for 0 would be 15 seconds); set ones reach the socket.
func TestTCPKeepAliveZeroLeavesTheSystemsValues(t *testing.T) {
	ln := listen(t)
	sysIdle := readSysctl(t, "/proc/sys/net/ipv4/tcp_keepalive_time")
	sysIntvl := readSysctl(t, "/proc/sys/net/ipv4/tcp_keepalive_intvl")

	idle, intvl := keepAliveOf(t, TCPOptions{NoDelay: true, KeepAlive: true}, ln.Addr().String())
	require.Equal(t, sysIdle, idle, "KeepAliveTime 0 leaves the system's idle time")
	require.Equal(t, sysIntvl, intvl, "KeepAliveInterval 0 leaves the system's interval")

	idle, intvl = keepAliveOf(t, TCPOptions{NoDelay: true, KeepAlive: true, KeepAliveTime: 31 * time.Second}, ln.Addr().String())
	require.Equal(t, 31, idle)
	require.Equal(t, sysIntvl, intvl, "KeepAliveInterval 0 beside a KeepAliveTime")

	idle, intvl = keepAliveOf(t, TCPOptions{NoDelay: true, KeepAlive: true, KeepAliveTime: 31 * time.Second, KeepAliveInterval: 7 * time.Second}, ln.Addr().String())
	require.Equal(t, 31, idle)
	require.Equal(t, 7, intvl)
}
