package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Raising LogLevel to 3 while connected turns frame logs on at once, and
// lowering it turns them off.
func TestLogLevelSwitchesFrameLogsWhileConnected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithLogLevel(2), WithPassword("hunter22"))
	logs := collect(s.OnLog)
	_, err := s.Config("LogLevel=3")
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/logged", "x"))
	for l := recv(t, logs); l.LogType != "Frame"; l = recv(t, logs) {
	}
	_, err = s.Config("LogLevel=1")
	require.NoError(t, err)
	require.NoError(t, s.Disconnect())
	for len(logs) > 0 {
		l := <-logs
		require.NotContains(t, l.Message, "hunter22")
	}
}
