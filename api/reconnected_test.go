package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ConnectedEvent.Reconnected tells a restored connection from the first:
// a program that subscribes in OnConnected only when it is false keeps
// one subscription, and one copy of each message, across a reconnect.
func TestOnConnectedSaysAReconnectRestoredTheSubscriptions(t *testing.T) {
	b := newBroker(t)
	s := newClient(t, WithSupportedVersions("1.2"),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	connected := make(chan *ConnectedEvent, 8)
	subscribed := make(chan error, 8)
	got := collect(s.OnMessageIn)
	s.OnConnected(func(e *ConnectedEvent) {
		if e.Err == nil && !e.Reconnected {
			_, err := s.Subscribe("/topic/once", false)
			subscribed <- err
		}
		connected <- e
	})
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	assert.False(t, recv(t, connected).Reconnected, "the first Connect")
	require.NoError(t, recv(t, subscribed))

	require.NoError(t, b.CloseConnection(1))
	ev := recv(t, connected)
	require.NoError(t, ev.Err)
	assert.True(t, ev.Reconnected, "the restored connection")
	assert.Len(t, s.Subscriptions(), 1)
	waitFor(t, "the broker to see the subscription again", func() bool {
		info, ok := b.Connection(2)
		return ok && len(info.Subscriptions) == 1
	})

	p2 := connectTo(t, b, "1.2")
	require.NoError(t, p2.SendMessage("/topic/once", "one"))
	require.NoError(t, p2.SendMessage("/topic/once", "two"))
	assert.Equal(t, "one", recv(t, got).Text())
	assert.Equal(t, "two", recv(t, got).Text(), "a second copy of the first message: the subscription was doubled")
	info, _ := b.Connection(2)
	assert.Len(t, info.Subscriptions, 1)
}
