package api

import (
	"log/slog"
	"slices"
	"strings"
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

// drainLogs empties logs and returns the messages and the number of frame
// lines it held.
func drainLogs(logs chan *LogEvent) (messages []string, frameLines int) {
	for len(logs) > 0 {
		e := <-logs
		messages = append(messages, e.Message)
		if e.LogType == "Frame" {
			frameLines++
		}
	}
	return messages, frameLines
}

// connectAndDisconnect connects s to b and disconnects, returning once
// OnDisconnected ran: events run in order, so every log line of the
// connection was handled before.
func connectAndDisconnect(t *testing.T, s *STOMP, h string, p int) {
	t.Helper()
	disc := collect(s.OnDisconnected)
	require.NoError(t, s.Connect(h, p))
	require.NoError(t, s.Disconnect())
	recv(t, disc)
}

// Reset returns LogLevel to its default, 1, and the engine, which outlives
// Reset, logs at that level again: OnLog hears the next connection's info
// lines.
func TestResetRestoresTheEnginesLogLevel(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	s := newClient(t)
	logs := collect(s.OnLog)
	connectAndDisconnect(t, s, h, p)
	_, err := s.Config("LogLevel=0")
	require.NoError(t, err)
	require.NoError(t, s.Reset())
	v, err := s.Config("LogLevel")
	require.NoError(t, err)
	require.Equal(t, "1", v)
	drainLogs(logs)

	connectAndDisconnect(t, s, h, p)
	lines, _ := drainLogs(logs)
	require.True(t, slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "connected with STOMP") }),
		"LogLevel reads 1 after Reset, but OnLog heard nothing of the new connection: %q", lines)
}

// Reset returns LogLevel to NewSTOMP's 3, and frame lines come again.
func TestResetRestoresTheEnginesFrameLogging(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	s := newClient(t, WithLogLevel(3))
	logs := collect(s.OnLog)
	connectAndDisconnect(t, s, h, p)
	_, err := s.Config("LogLevel=1")
	require.NoError(t, err)
	require.NoError(t, s.Reset())
	v, err := s.Config("LogLevel")
	require.NoError(t, err)
	require.Equal(t, "3", v)
	drainLogs(logs)

	connectAndDisconnect(t, s, h, p)
	_, frameLines := drainLogs(logs)
	require.NotZero(t, frameLines, "LogLevel reads 3 after Reset, but no frame was logged")
}

// Reset returning LogLevel from 3 to NewSTOMP's 1 stops the frame lines
// the engine gives the program's logger: LogLevel bounds what a logger at
// the debug level takes, and the engine makes no frame line below 3.
func TestResetStopsTheEnginesFrameLogging(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	var sink logSink
	s := newClient(t, WithLogger(slog.New(slog.NewTextHandler(&sink, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	frameLines := func() int {
		n := 0
		for _, l := range sink.all() {
			if strings.Contains(l, "type=frame") {
				n++
			}
		}
		return n
	}
	_, err := s.Config("LogLevel=3")
	require.NoError(t, err)
	connectAndDisconnect(t, s, h, p)
	before := frameLines()
	require.NotZero(t, before, "LogLevel 3 logs frames")
	require.NoError(t, s.Reset())
	connectAndDisconnect(t, s, h, p)
	require.Equal(t, before, frameLines(), "LogLevel reads 1 after Reset, but frames were still logged")
}
