package actors

import (
	"context"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// A SUBSCRIBE the writer takes and then refuses (no receipt slot left,
// ErrTooManyReceipts) is never written: Subscribe forgets it without an
// UNSUBSCRIBE.
func TestARefusedSubscribeIsNotUnsubscribed(t *testing.T) {
	// A broker that answers no RECEIPT.
	srv, got := newBroker(t, connectedFrame("1.2"), nil)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingReceipts: 1})
	expectFrame(t, got, frames.CmdConnect)
	// The one receipt slot is held by a receipted send. (An
	// at-least-once send takes none: the outbox bounds its own.)
	holdReceiptSlot(t, c)
	expectFrame(t, got, frames.CmdSend)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/b", Receipt: 5 * time.Second, Handler: func(Message) AckAction { return AckNone }})
	require.ErrorIs(t, err, ErrTooManyReceipts)
	// Whatever the client writes next shows what it wrote for s1.
	require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/marker", "m"), 0, true))
	for {
		f := nextFrame(t, got)
		if f.Command == frames.CmdSend {
			break // the marker: nothing was written for s1
		}
		t.Fatalf("the client wrote %s for a subscription whose SUBSCRIBE it never wrote", f)
	}
}

// Against the simulator, which (like real brokers) answers an UNSUBSCRIBE
// of an unknown id with ERROR and a close: a refused SUBSCRIBE leaves the
// connection up.
func TestARefusedSubscribeKeepsTheConnection(t *testing.T) {
	b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "nor", Kind: sim.WithholdReceipt, Conn: 1, Times: -1}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{MaxPendingReceipts: 1})
	holdReceiptSlot(t, c)
	waitFor(t, "the broker to take the message", func() bool {
		d, ok := b.Destination("/queue/a")
		return ok && d.Enqueued == 1
	})
	_, err = c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/b", Receipt: 5 * time.Second, Handler: func(Message) AckAction { return AckNone }})
	require.ErrorIs(t, err, ErrTooManyReceipts)
	require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/marker", "m"), 0, true))
	waitFor(t, "the marker at the broker", func() bool {
		d, ok := b.Destination("/queue/marker")
		return (ok && d.Enqueued == 1) || c.State() != Connected
	})
	require.Equal(t, Connected, c.State(), "connection ended; events: %s", describe(rec.all()))
}

// holdReceiptSlot has a receipted SEND to /queue/a wait for its RECEIPT,
// holding a receipt slot, until the test ends.
func holdReceiptSlot(t *testing.T, c *Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // before the client closes: the Send returns
	go func() { _ = c.Send(ctx, sendFrame("/queue/a", "x"), time.Minute, false) }()
}
