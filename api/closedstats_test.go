package api

import (
	"testing"

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
