package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// ConnectedServer follows the broker in use: the primary, the failover
// server once the primary is gone (RemoteHost and RemotePort still the
// primary's), nothing while no broker answers, and the primary again once
// it is back.
func TestConnectedServerFollowsAFailoverAndBack(t *testing.T) {
	primary, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = primary.Close() })
	failover := newBroker(t)
	ph, pp := hostPort(t, primary.Addr())
	fh, fp := hostPort(t, failover.Addr())

	s := newClient(t, WithFailoverServers(failover.Addr()),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	statuses := collect(s.OnConnectionStatus)
	host, port, ok := s.ConnectedServer()
	assert.False(t, ok, "before Connect")
	assert.Equal(t, "", host)
	assert.Zero(t, port)
	require.NoError(t, s.Connect(ph, pp))
	requireServer(t, s, ph, pp)

	// The primary goes away: the client fails over.
	addr := primary.Addr()
	require.NoError(t, primary.Close())
	waitStatus(t, statuses, "reconnected")
	requireServer(t, s, fh, fp)
	assert.Equal(t, ph, s.RemoteHost(), "RemoteHost stays the primary")
	assert.Equal(t, pp, s.RemotePort(), "RemotePort stays the primary")

	// No broker answers: not connected.
	require.NoError(t, failover.Close())
	waitStatus(t, statuses, "lost")
	host, port, ok = s.ConnectedServer()
	assert.False(t, ok, "while reconnecting")
	assert.Equal(t, "", host)
	assert.Zero(t, port)

	// The primary comes back where it was: the client, which tries the
	// primary first, is there again.
	back, err := sim.NewBroker(sim.WithListenAddr(addr))
	require.NoError(t, err)
	t.Cleanup(func() { _ = back.Close() })
	waitStatus(t, statuses, "reconnected")
	requireServer(t, s, ph, pp)

	require.NoError(t, s.Disconnect())
	_, _, ok = s.ConnectedServer()
	assert.False(t, ok, "after Disconnect")
}

// requireServer checks that s is connected to host:port.
func requireServer(t *testing.T, s *STOMP, host string, port int) {
	t.Helper()
	h, p, ok := s.ConnectedServer()
	require.True(t, ok, "not connected")
	require.Equal(t, host, h)
	require.Equal(t, port, p)
}

// waitStatus waits for the connection status event named status.
func waitStatus(t *testing.T, statuses <-chan *ConnectionStatusEvent, status string) {
	t.Helper()
	for ev := recv(t, statuses); ev.ConnectionEvent != status; ev = recv(t, statuses) {
	}
}
