package actors

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// A long-lived connection whose subscriptions come and go (ack mode
// client, each message acknowledged in a committed transaction) keeps no
// trace of the ended ones: the cover of committed transactions' ACKs
// (txSet.committed) must not grow by one ended route per subscription.
func TestCommittedCoverKeepsNoEndedRoute(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{Addr: b.Addr()})
	const n = 50
	for i := range n {
		id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/r31", Mode: AckClient, Pull: true})
		require.NoError(t, err)
		f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/r31")
		f.Body = []byte("x")
		require.NoError(t, c.Send(testCtx(t), f, 0, false))
		m, err := c.Receive(testCtx(t), id)
		require.NoError(t, err)
		tx := "t" + strconv.Itoa(i)
		require.NoError(t, c.Begin(testCtx(t), tx, 0))
		require.NoError(t, c.Ack(testCtx(t), &m, false, tx, 0))
		require.NoError(t, c.Commit(testCtx(t), tx, 0))
		require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	}
	l := c.link.Load()
	require.NotNil(t, l)
	l.tx.mu.Lock()
	l.tx.sweepLocked()
	kept := len(l.tx.committed)
	l.tx.mu.Unlock()
	require.Zero(t, kept, "txSet.committed keeps the route of every ended subscription for the connection's life")
}
