package api

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// After Close, Stats keep the values Close left them with (a collector
// holding a closed client must not see its counters fall to zero).
func TestStatsKeepTheirValuesAfterClose(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	require.NoError(t, s.SendMessage("/queue/kept", "x"))
	require.NoError(t, s.Disconnect())
	before := s.Stats()
	require.Equal(t, int64(1), before.MessagesOut)
	s.Close()
	assert.Equal(t, before, s.Stats())
}

// A handler that calls Close and then panics still counts in Stats.Panics,
// though Close took its final snapshot before the panic.
func TestAPanicAfterCloseStillCounts(t *testing.T) {
	b := newBroker(t)
	s := newClient(t)
	s.OnConnected(func(*ConnectedEvent) {
		s.Close()
		panic("after Close")
	})
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	waitFor(t, "the panic to be counted", func() bool { return s.Stats().Panics == 1 })
	assert.Equal(t, int64(1), s.Stats().Connects, "the other counters are kept")
}

// A client that never connected keeps zero counters after Close.
func TestStatsOfAClientClosedUnconnectedAreZero(t *testing.T) {
	s := newClient(t)
	s.Close()
	assert.Equal(t, Stats{Subscriptions: map[string]int64{}}, s.Stats())
}

// A Close made while a MessageIn handler runs returns before the handler
// ends; a panic or runtime.Goexit of that handler afterwards is still
// counted, once (the Goexit, which the engine counts, was lost once Stats
// read a snapshot taken by Close).
func TestAHandlersPanicOrGoexitAfterCloseIsCounted(t *testing.T) {
	for _, tt := range []struct {
		name string
		end  func()
	}{
		{"panic", func() { panic("late") }},
		{"goexit", runtime.Goexit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t)
			eng := actors.NewEngine(actors.EngineOptions{})
			t.Cleanup(func() { _ = eng.Close() })
			s := connectTo(t, b, "1.2", WithEngine(eng))
			entered := make(chan struct{}, 1)
			release := make(chan struct{})
			_, err := s.SubscribeWith(context.Background(), "/queue/late-"+tt.name, SubscribeOptions{
				Handler: func(m *MessageInEvent) {
					entered <- struct{}{}
					<-release
					tt.end()
				},
			})
			require.NoError(t, err)
			require.NoError(t, s.SendMessage("/queue/late-"+tt.name, "x"))
			recv(t, entered)
			// Close waits for the running handler: bounded, it returns
			// with the handler still blocked, which ends after it.
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			require.ErrorIs(t, s.CloseContext(ctx), ErrTimeout)
			close(release)
			waitFor(t, "the connection's actors to end", func() bool { return eng.Connections() == 0 })
			require.Equal(t, int64(1), s.Stats().Panics, "the handler's %s after Close is counted once", tt.name)
		})
	}
}
