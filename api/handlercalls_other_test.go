package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Client B's Disconnect called from client A's MessageIn handler (B runs
// no handler) waits as any: B is disconnected when it returns, and a
// Connect that follows (switching B to another broker from A's handler)
// succeeds.
func TestDisconnectOfAnotherClientFromAHandlerWaits(t *testing.T) {
	b := newBroker(t)
	a := connectTo(t, b, "1.2")
	other := connectTo(t, b, "1.2")
	h, p := hostPort(t, b.Addr())
	type result struct{ disc, conn error }
	out := make(chan result, 1)
	a.OnMessageIn(func(*MessageInEvent) {
		var r result
		r.disc = other.Disconnect()
		r.conn = other.Connect(h, p) // reconnect B, e.g. to another broker
		out <- r
	})
	_, err := a.Subscribe("/queue/switch", true)
	require.NoError(t, err)
	require.NoError(t, a.SendMessage("/queue/switch", "go"))
	r := recv(t, out)
	require.NoError(t, r.disc)
	require.NoError(t, r.conn, "B's Disconnect, called from A's handler, returned before B was disconnected")
}
