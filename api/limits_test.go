package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The receive limits are settings: a body over MaxBodySize ends the
// connection with ErrFrameLimit, whose message names the setting.
func TestReceiveLimitsAreSettings(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithReceiveLimits(ReceiveLimits{MaxBody: 1000}))
	lost := collect(s.OnDisconnected)
	_, err := s.Subscribe("/queue/limits", false)
	require.NoError(t, err)
	other := connectTo(t, b, "1.2")
	require.NoError(t, other.SendMessage("/queue/limits", strings.Repeat("x", 2000)))
	ev := recv(t, lost)
	require.ErrorIs(t, ev.Err, ErrFrameLimit)
	assert.Contains(t, ev.Description, "body size limit of 1000 bytes")
	assert.Contains(t, ev.Description, "MaxBodySize")

	// A larger limit takes the same message.
	big := connectTo(t, b, "1.2", WithReceiveLimits(ReceiveLimits{MaxBody: 4000}))
	got := collect(big.OnMessageIn)
	_, err = big.Subscribe("/queue/limits2", false)
	require.NoError(t, err)
	require.NoError(t, other.SendMessage("/queue/limits2", strings.Repeat("x", 2000)))
	assert.Len(t, recv(t, got).Data, 2000)

	c := newClient(t)
	for _, kv := range []string{"MaxBodySize=123", "MaxHeaders=7", "MaxFrameSize=4567", "HeartbeatTolerance=3.5"} {
		_, err := c.Config(kv)
		require.NoError(t, err, kv)
		name, value, _ := strings.Cut(kv, "=")
		v, err := c.Config(name)
		require.NoError(t, err)
		assert.Equal(t, value, v)
	}
	for _, kv := range []string{"HeartbeatTolerance=1", "HeartbeatTolerance=0.5", "HeartbeatTolerance=NaN", "HeartbeatTolerance=x", "MaxHeaders=-1"} {
		_, err := c.Config(kv)
		assert.ErrorIs(t, err, ErrInvalidArgument, kv)
	}
}

// A heart-beat tolerance the user sets wins over the automatic one.
func TestHeartbeatToleranceSetting(t *testing.T) {
	s := newClient(t, WithHeartbeatTolerance(4))
	v, err := s.Config("HeartbeatTolerance")
	require.NoError(t, err)
	assert.Equal(t, "4", v)
	s.mu.Lock()
	cc, _, err := s.cfg.connectConfig(s)
	s.mu.Unlock()
	require.NoError(t, err)
	assert.Equal(t, 4.0, cc.HeartbeatTolerance)
}

// OnReadyToSend fires once the connection is ready after CONNECTED, not
// only after a full queue drains.
func TestReadyToSendAfterConnected(t *testing.T) {
	b := newBroker(t)
	s := newClient(t)
	ready := collect(s.OnReadyToSend)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	recv(t, ready)
	assert.True(t, s.ReadyToSend())
}
