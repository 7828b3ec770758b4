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

// MessageOut events follow the handler: none are posted while nobody
// listens, and registering a handler while connected turns them on.
func TestMessageOutHandlerRegisteredWhileConnected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	// With a receipt, the send returns only once written and confirmed.
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/out", "unheard"))
	require.NoError(t, s.SetRequestReceipts(false))
	outs := collect(s.OnMessageOut)
	require.NoError(t, s.SendMessage("/queue/out", "heard"))
	ev := recv(t, outs)
	require.Equal(t, "/queue/out", ev.Destination)
	require.Equal(t, len("heard"), ev.Size)
	require.Empty(t, outs, "the send made before the handler was registered posted no event")
}
