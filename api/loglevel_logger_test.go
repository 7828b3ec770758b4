package api

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LogLevel is "0 none, 1 info (default), 2 verbose, 3 frames" (doc.go)
// for the WithLogger logger too, whose handler's own level applies as
// well: a service whose slog handler is at Debug and that leaves LogLevel
// at 1 (info and errors) or sets it to 0 (none) gets no verbose line per
// acknowledged message (no line at all at 0), a volume that would follow
// the message rate.
func TestLogLevelBoundsWhatTheLoggerGets(t *testing.T) {
	for _, tc := range []struct {
		level                 int
		handler               slog.Level
		wantInfo, wantVerbose bool
	}{
		{level: 0, handler: slog.LevelDebug},
		{level: 1, handler: slog.LevelDebug, wantInfo: true},
		{level: 2, handler: slog.LevelDebug, wantInfo: true, wantVerbose: true},
		{level: 2, handler: slog.LevelInfo, wantInfo: true}, // the handler's level applies too
	} {
		t.Run("LogLevel="+strconv.Itoa(tc.level)+",handler="+tc.handler.String(), func(t *testing.T) {
			b := newBroker(t)
			sink := &logSink{}
			logger := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: tc.handler}))
			s := connectTo(t, b, "1.2", WithLogger(logger), WithLogLevel(tc.level))
			got := make(chan struct{}, 100)
			_, err := s.SubscribeWith(context.Background(), "/queue/ll", SubscribeOptions{AckMode: AckClientIndividual,
				Handler: func(*MessageInEvent) { got <- struct{}{} }})
			require.NoError(t, err)
			for i := 0; i < 50; i++ {
				require.NoError(t, s.SendMessage("/queue/ll", "x"))
			}
			for i := 0; i < 50; i++ {
				recv(t, got)
			}
			require.NoError(t, s.Disconnect())
			lines := sink.all()
			info, verbose := 0, 0
			for _, l := range lines {
				switch {
				case strings.Contains(l, "level=DEBUG"):
					verbose++
				case strings.Contains(l, "level=INFO"):
					info++
				}
			}
			t.Logf("%d lines, %d at INFO, %d at DEBUG", len(lines), info, verbose)
			if tc.level == 0 {
				assert.Empty(t, lines, "LogLevel 0 is none")
			}
			assert.Equal(t, tc.wantInfo, info > 0, "info lines")
			assert.Equal(t, tc.wantVerbose, verbose > 0, "verbose lines")
		})
	}
}

// A change of LogLevel applies to the logger at once.
func TestLogLevelChangeAppliesToTheLoggerAtOnce(t *testing.T) {
	b := newBroker(t)
	sink := &logSink{}
	s := connectTo(t, b, "1.2", WithLogger(slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NotEmpty(t, sink.all(), "LogLevel 1 logs the connection")
	_, err := s.Config("LogLevel=0")
	require.NoError(t, err)
	before := len(sink.all())
	require.NoError(t, s.Disconnect())
	assert.Len(t, sink.all(), before, "LogLevel 0 logs nothing more")
}
