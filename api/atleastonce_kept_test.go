package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AtLeastOnce's doc: a synchronous send whose wait ends before the RECEIPT
// "stays in the outbox and is still sent (again, after every reconnect)",
// so do not send it again. No timer drops it (the outbox once dropped it
// at its ConfirmTimeout, max(Timeout, 5s), and never resent it): a broker
// that never read it (a resource alarm, then a cut) gets it on the next
// connection, and confirms it there.
func TestATimedOutAtLeastOnceSendStaysInTheOutboxUntilItsReceipt(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2",
		WithTimeout(time.Second), // the outbox used to drop at max(1s, listWait) = 5s
		WithAtLeastOnce(AtLeastOnce{Enabled: true}),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	// The broker stops reading connection 1, as in a resource alarm.
	require.NoError(t, b.Inject(sim.Fault{Name: "alarm", Kind: sim.StopReading, Conn: 1}))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err := s.SendDataContext(ctx, "/queue/kept", []byte("precious"))
	cancel()
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	// "the message stays in the outbox and is sent until the broker confirms it"
	require.Contains(t, err.Error(), "stays in the outbox")
	require.EqualValues(t, 1, s.Stats().Outbox)

	// Past the 5 s at which the outbox used to drop it, the message is
	// still kept: no RECEIPT ever came. (Polled until then; a drop, if
	// any, would show as an empty outbox.)
	deadline := time.Now().Add(7 * time.Second)
	for time.Now().Before(deadline) && s.Stats().Outbox == 1 {
		tick := time.NewTimer(20 * time.Millisecond)
		<-tick.C
	}
	assert.EqualValues(t, 1, s.Stats().Outbox, "the unconfirmed message left the outbox without its RECEIPT")

	// The connection is cut, the broker never having read the SEND; the
	// client reconnects and must send the message again.
	require.NoError(t, b.Inject(sim.Fault{Name: "cut", Kind: sim.DropConn, Conn: 1, After: time.Millisecond}))
	waitFor(t, "the second connection", func() bool {
		ci, ok := b.Connection(2)
		return ok && ci.Connected
	})
	// A barrier: a later at-least-once message, confirmed on connection 2.
	require.NoError(t, s.SendData("/queue/barrier", []byte("later")))
	var bodies []string
	for _, f := range received(t, b, 2, frames.CmdSend) {
		bodies = append(bodies, string(f.Body))
	}
	assert.Contains(t, bodies, "precious", "the message the client promised to keep was never resent")
	// Confirmed there: it leaves the outbox, and the broker has it once.
	waitFor(t, "the outbox to empty", func() bool { return s.Stats().Outbox == 0 })
	d, _ := b.Destination("/queue/kept")
	assert.EqualValues(t, 1, d.Enqueued)
}
