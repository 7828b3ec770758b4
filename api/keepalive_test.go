package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Config rows: a duration above 0 turns keep-alive on, 0 leaves it
// as it was, a refused value changes nothing, and TCPKeepAlive=false
// written after the durations still turns it off. The option names all
// three, and its on is the last word.
func TestKeepAliveDurationsAndTCPKeepAliveTogether(t *testing.T) {
	read := func(s *STOMP) string {
		v, err := s.Config("TCPKeepAlive")
		require.NoError(t, err)
		return v
	}
	s := newClient(t, WithTCPKeepAlive(false, 30*time.Second, 0))
	assert.Equal(t, "false", read(s), "WithTCPKeepAlive(false, 30s, 0)")
	v, err := s.Config("KeepAliveTime")
	require.NoError(t, err)
	assert.Equal(t, "30000", v, "the option's idle time is kept")
	s = newClient(t, WithTCPKeepAlive(true, 0, 5*time.Second))
	assert.Equal(t, "true", read(s), "WithTCPKeepAlive(true, 0, 5s)")
	s = newClient(t, WithTCPKeepAlive(false, 0, 0))
	assert.Equal(t, "false", read(s), "WithTCPKeepAlive(false, 0, 0)")

	s = newClient(t)
	_, err = s.Config("KeepAliveTime=0")
	require.NoError(t, err)
	assert.Equal(t, "false", read(s), "KeepAliveTime=0")
	_, err = s.Config("KeepAliveTime=99999999999")
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Equal(t, "false", read(s), "a refused KeepAliveTime")
	_, err = s.Config("KeepAliveInterval=1000")
	require.NoError(t, err)
	assert.Equal(t, "true", read(s), "KeepAliveInterval=1000")
	_, err = s.Config("TCPKeepAlive=false")
	require.NoError(t, err)
	assert.Equal(t, "false", read(s), "TCPKeepAlive=false after KeepAliveInterval")
	v, err = s.Config("KeepAliveInterval")
	require.NoError(t, err)
	assert.Equal(t, "1000", v, "the interval is kept")
}
