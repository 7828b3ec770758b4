package actors

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// The outbox's messages take none of the connection's MaxPendingReceipts
// (OutboxConfig.Max bounds them): more of them than that wait for their
// RECEIPT at once, none is refused with ErrTooManyReceipts, and a caller's
// receipted frame still finds a slot.
func TestOutboxMessagesTakeNoReceiptSlots(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingReceipts: 2})
	expectFrame(t, got, frames.CmdConnect)
	o := newOutcomes()
	const n = 5
	for i := range n {
		require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/q", strconv.Itoa(i)), OutboxConfig{}, o.done(strconv.Itoa(i))))
	}
	ids := make([]string, 0, n)
	for range n {
		ids = append(ids, recv(t, asked, "an outbox message at the broker"))
	}
	require.Equal(t, n, c.Outbox())
	// Both slots are free for a caller's receipted SEND.
	sent := make(chan error, 1)
	go func() {
		sent <- c.Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, "/q"), 5*time.Second, false)
	}()
	answer <- recv(t, asked, "the receipted SEND")
	require.NoError(t, recv(t, sent, "the receipted SEND's outcome"))
	for _, id := range ids {
		answer <- id
	}
	for range n {
		name, err := o.wait(t)
		require.NoError(t, err, "message %s", name)
	}
	require.Zero(t, c.Outbox())
}

// After a reconnect the outbox sends again every message written on the
// old connection and not confirmed, more of them than MaxPendingReceipts,
// and none is refused for want of a receipt slot.
func TestOutboxResendTakesNoReceiptSlots(t *testing.T) {
	b, err := sim.NewBroker(sim.WithOutboundQueue(1 << 20))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{MaxPendingReceipts: 2, Reconnect: fastReconnect})
	// The broker takes every SEND of connection 1, its RECEIPTs held up.
	require.NoError(t, b.Inject(sim.Fault{Name: "slow", Kind: sim.StallWrites, Conn: 1}))
	o := newOutcomes()
	const n = 6
	for i := range n {
		require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/again", strconv.Itoa(i)), OutboxConfig{}, o.done(strconv.Itoa(i))))
	}
	waitFor(t, "every message at the broker", func() bool {
		d, _ := b.Destination("/queue/again")
		return d.Enqueued == n
	})
	require.Equal(t, n, c.Outbox())
	require.NoError(t, b.CloseConnection(1))
	for range n {
		name, err := o.wait(t)
		require.NoError(t, err, "message %s", name)
	}
	require.EqualValues(t, n, c.Stats().Resent)
	require.EqualValues(t, 1, c.Stats().Reconnects)
	d, _ := b.Destination("/queue/again")
	require.EqualValues(t, 2*n, d.Enqueued, "each sent on both connections")
}
