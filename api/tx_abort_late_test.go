package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// AbortTransaction's wait ends while its ABORT waits behind a writer the
// broker holds back (it stopped reading). The doc: "the ABORT is written
// even when the wait ends first". It is, once the broker reads again,
// and the broker discards the ACK; but the client never undoes it: Abort
// took the transaction's ACKs only as it returned, when the ABORT was not
// written yet, and nobody takes them later. The retry's Ack is refused
// with ErrAlreadyAcked, the consumer is stuck as before the mend (and the
// record stays in the link's txSet until the id is begun again).
func TestAnAbortWrittenAfterItsWaitEndedUndoesItsAcks(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithBufferSizes(0, 4096))
	ctx := context.Background()
	id, err := s.SubscribeWith(ctx, "/queue/in", SubscribeOptions{Pull: true, AckMode: AckClientIndividual})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/in", "m"))
	rctx, rcancel := context.WithTimeout(ctx, wait)
	defer rcancel()
	in, err := s.Receive(rctx, id)
	require.NoError(t, err)

	require.NoError(t, s.BeginTransaction("t"))
	_, err = s.Config("AckTransactionId=t")
	require.NoError(t, err)
	require.NoError(t, s.Ack(ctx, in))
	_, err = s.Config("AckTransactionId=")
	require.NoError(t, err)
	waitFor(t, "the ACK read by the broker", func() bool {
		ci, ok := b.Connection(1)
		return ok && ci.Frames >= 5 // CONNECT SUBSCRIBE SEND BEGIN ACK
	})

	// The broker stops reading; fill the way out until the queue is full.
	require.NoError(t, b.Inject(sim.Fault{Name: "alarm", Kind: sim.StopReading, Conn: 1}))
	require.NoError(t, s.SetTimeout(0))
	body := make([]byte, 16<<10)
	full := false
	for i := 0; i < 1<<14; i++ {
		if err := s.SendData("/queue/filler", body); err != nil {
			require.ErrorIs(t, err, ErrWouldBlock)
			full = true
			break
		}
	}
	require.True(t, full, "the outgoing queue never filled")

	actx, acancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer acancel()
	aerr := s.AbortTransactionContext(actx, "t")
	t.Logf("AbortTransactionContext: %v", aerr)
	require.Error(t, aerr, "the ABORT could not be written while the broker does not read")
	require.False(t, errors.Is(aerr, ErrWouldBlock), "refused: %v", aerr)

	require.NoError(t, b.Clear("alarm"))
	waitFor(t, "the ABORT written, the transaction over", func() bool {
		return len(s.OpenTransactions()) == 0
	})
	require.True(t, s.Connected())
	d, _ := b.Destination("/queue/in")
	require.Equal(t, 1, int(d.Unacked), "the broker discarded the ACK with the ABORT")
	require.NoError(t, s.SetTimeout(10))
	assert.NoError(t, s.Ack(ctx, in), "the ABORT was written: the broker discarded the ACK")
}
