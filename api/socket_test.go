package api

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocalHostAndPort(t *testing.T) {
	b := newBroker(t)
	// A port free a moment ago; the system hands out ephemeral ports in
	// turn, so it is very unlikely to be taken again at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port := hostPort(t, ln.Addr().String())
	require.NoError(t, ln.Close())

	s := newClient(t)
	_, err = s.Config("LocalHost=127.0.0.1")
	require.NoError(t, err)
	require.NoError(t, s.SetLocalPort(port))
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	ci, ok := b.Connection(1)
	require.True(t, ok)
	assert.Equal(t, "127.0.0.1:"+strconv.Itoa(port), ci.Remote)
}

func TestSocketSettingsApply(t *testing.T) {
	b := newBroker(t)
	s := newClient(t)
	for _, kv := range []string{
		"TCPKeepAlive=true", "KeepAliveTime=30000", "KeepAliveInterval=5000", "Linger=false",
		"TcpNoDelay=false", "UseIPv6=never", "InBufferSize=65536", "OutBufferSize=65536",
		"MaxTransferRate=10000000", "ConnectionTimeout=5",
	} {
		_, err := s.Config(kv)
		require.NoError(t, err, kv)
	}
	got := collect(s.OnMessageIn)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	_, err := s.Subscribe("/queue/sock", false)
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/sock", "through every socket option"))
	assert.Equal(t, "through every socket option", recv(t, got).Text())
	require.NoError(t, s.Disconnect())

	_, err = s.Config("LingerTime=1")
	require.NoError(t, err)
	_, err = s.Config("Linger=true")
	require.NoError(t, err)
	require.NoError(t, s.Connect(h, p))
	require.NoError(t, s.Disconnect())
}

func TestUseIPv6OnlyCannotReachIPv4(t *testing.T) {
	b := newBroker(t)
	s := newClient(t, WithIPv6(IPv6Only))
	h, p := hostPort(t, b.Addr())
	assert.ErrorIs(t, s.Connect(h, p), ErrConnectFailed)
}

func TestMaxLineLength(t *testing.T) {
	long := strings.Repeat("x", 300)
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		f, err := readFrame(d) // SUBSCRIBE
		if err != nil {
			return
		}
		_, _ = conn.Write([]byte("MESSAGE\nsubscription:" + f.Header("id") + "\nmessage-id:m1\ndestination:/queue/l\nlong:" + long + "\n\nbody\x00"))
		_, _ = readFrame(d) // until the client goes
	})
	s := newClient(t, WithMaxLineLength(256))
	disconnected := collect(s.OnDisconnected)
	require.NoError(t, s.Connect(srv.host, srv.port))
	_, err := s.Subscribe("/queue/l", false)
	require.NoError(t, err)
	de := recv(t, disconnected)
	assert.Equal(t, CodeFrameLimit, de.StatusCode, de.Description)
	assert.Contains(t, de.Description, "256")
}

func TestMaxTransferRateStillDelivers(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(16))
	s := connectTo(t, b, "1.2", WithMaxTransferRate(1<<20))
	require.NoError(t, s.SendData("/queue/rate", make([]byte, 1000)))
	f := waitFrame(t, b, 1, frames.CmdSend)
	assert.Len(t, f.Body, 1000)
}

// UseIPv6 takes the reference's numbers and booleans beside its words,
// and a client really connects over the IPv6 loopback with the modes
// that allow IPv6 (skipped on a machine without one).
func TestUseIPv6OverIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	require.NoError(t, ln.Close())
	b := newBroker(t, sim.WithListenAddr("[::1]:0"))
	h, p := hostPort(t, b.Addr())
	require.Equal(t, "::1", h)
	conns := 0
	for value, mode := range map[string]string{"1": "only", "TRUE": "only", "2": "ipv6-first", "auto": "auto", "ipv6-first": "ipv6-first"} {
		s := newClient(t)
		_, err := s.Config("UseIPv6=" + value)
		require.NoError(t, err, value)
		assert.Equal(t, mode, readSetting(t, s, "UseIPv6"), value)
		require.NoError(t, s.Connect(h, p), value)
		conns++
		ci, ok := b.Connection(conns)
		require.True(t, ok)
		assert.True(t, strings.HasPrefix(ci.Remote, "[::1]:"), "%s: the broker sees %s", value, ci.Remote)
		roundTrip(t, s)
		require.NoError(t, s.Disconnect())
	}
	for _, value := range []string{"0", "false", "never"} {
		s := newClient(t)
		_, err := s.Config("UseIPv6=" + value)
		require.NoError(t, err, value)
		assert.Equal(t, "never", readSetting(t, s, "UseIPv6"), value)
		assert.ErrorIs(t, s.Connect(h, p), ErrConnectFailed, "%s: IPv4 only cannot reach [::1]", value)
	}
	for _, value := range []string{"3", "-1", "yes", ""} {
		_, err := newClient(t).Config("UseIPv6=" + value)
		assert.ErrorIs(t, err, ErrInvalidArgument, value)
	}
	assert.Equal(t, "ipv6-first", readSetting(t, newClient(t, WithIPv6(IPv6First)), "UseIPv6"))
}
