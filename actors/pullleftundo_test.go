package actors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// A Subscribe with the id of a Disconnect's leftovers takes them over
// (takeOver) as soon as the session handles it, before its SUBSCRIBE is
// confirmed. When that Subscribe then fails (here its RECEIPT does not
// come in time), the undo (Conn.forget) gives back those it still holds:
// they stay receivable under the id, in order, as before the Subscribe,
// and none is dropped. (From review 13, where they went with the
// half-made subscription: Receive said ErrUnknownSubscription and
// Stats.Dropped stayed 0.)
func TestAFailedSubscribeGivesBackTheLeftoversItTookOver(t *testing.T) {
	c, b := pullClient(t)
	const n = 6
	id := pullWithReceived(t, c, "/queue/r13-left-failed-sub", AckAuto, n)
	receiveAll(t, c, id, 0, 1)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	require.NotNil(t, c.routes.Load().findLeft(id), "premise: the leftovers wait for Receive")

	connectTo(t, c, b.Addr(), ConnectConfig{})
	conns := b.Connections()
	require.Len(t, conns, 1)
	// The broker stops writing: the SUBSCRIBE's RECEIPT never comes.
	require.NoError(t, b.Inject(sim.Fault{Name: "no-receipt", Kind: sim.StallWrites, Conn: conns[0].Conn}))
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: id, Destination: "/queue/r13-left-failed-sub", Pull: true, Receipt: 200 * time.Millisecond})
	require.Error(t, err, "premise: the Subscribe fails")

	// The five messages received before the Disconnect, which the broker
	// counts consumed, are still the user's.
	dropped := c.Stats().Dropped
	m, err := c.Receive(testCtx(t), id)
	require.NoError(t, err, "the leftovers are gone after a failed Subscribe (Stats.Dropped=%d)", dropped)
	require.Equal(t, "1", m.Headers.Value("x-n"))
	require.Empty(t, c.Subscriptions(), "the failed subscription is gone")
	requireLeftoversBack(t, c, id, 2, n)
}
