package api

import (
	"context"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In the reference, KeepAliveTime is the idle time before a TCP
// keep-alive packet is sent (and KeepAliveInterval the time between
// them): setting one turns keep-alive on (the reference's TCPKeepAlive
// follows it). A porting program that sets KeepAliveTime alone expects
// probes; here the value is kept and no probe is ever sent, and
// TCPKeepAlive still reads false.
func TestKeepAliveTimeOrIntervalTurnsKeepAliveOn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // until the listener closes
		}
	}()
	for _, setting := range []string{"KeepAliveTime=30000", "KeepAliveInterval=5000"} {
		t.Run(setting, func(t *testing.T) {
			s := newClient(t)
			_, err := s.Config(setting)
			require.NoError(t, err)
			v, err := s.Config("TCPKeepAlive")
			require.NoError(t, err)
			assert.Equal(t, "true", v, "TCPKeepAlive after %s", setting)

			// And on the socket Connect would dial.
			s.mu.Lock()
			cc, _, err := s.cfg.connectConfig(s)
			s.mu.Unlock()
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			c, err := cc.Dial(ctx, "tcp", ln.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			raw, err := c.(syscall.Conn).SyscallConn()
			require.NoError(t, err)
			var on int
			var gerr error
			require.NoError(t, raw.Control(func(fd uintptr) {
				on, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
			}))
			require.NoError(t, gerr)
			assert.NotZero(t, on, "SO_KEEPALIVE on the socket after %s alone", setting)
		})
	}
}
