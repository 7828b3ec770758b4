package api

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commitNotWritten begins t1 on a sim broker, sends a message in it, stops
// the broker reading (a resource alarm) until the client's outgoing queue
// is full and its writer blocks, and then commits t1 with a context that
// ends before the writer takes the COMMIT: the call returns ErrTimeout,
// which says nothing was written. The alarm is still on.
// Every ErrorEvent is counted in errs.
func commitNotWritten(t *testing.T) (b *sim.Broker, s *STOMP, errs *atomic.Int64) {
	t.Helper()
	b = newBroker(t)
	s = connectTo(t, b, "1.2", WithTimeout(20*time.Second))
	errs = new(atomic.Int64)
	s.OnError(func(*ErrorEvent) { errs.Add(1) })
	require.NoError(t, s.BeginTransaction("t1"))
	require.NoError(t, s.Send(context.Background(), "/queue/tx", []byte("in-tx"), SendOptions{TransactionID: "t1"}))

	require.NoError(t, b.Inject(sim.Fault{Name: "alarm", Kind: sim.StopReading, Conn: 1}))
	big := bytes.Repeat([]byte("x"), 256<<10)
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "the outgoing queue never filled")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := s.SendDataContext(ctx, "/topic/filler", big)
		cancel()
		if err != nil {
			require.True(t, errors.Is(err, ErrTimeout), "%v", err)
			break
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err := s.CommitTransactionContext(ctx, "t1")
	cancel()
	require.ErrorIs(t, err, ErrTimeout, "the COMMIT was not written: nothing was")
	require.Contains(t, s.OpenTransactions(), "t1", "a COMMIT not written leaves its transaction open")
	return b, s, errs
}

// endAlarm clears the alarm commitNotWritten set and waits until what was
// queued reached the broker (n barrier messages so far, this one too).
func endAlarm(t *testing.T, b *sim.Broker, s *STOMP) {
	t.Helper()
	require.NoError(t, b.Clear("alarm"))
	barrier(t, b, s, 1)
}

// barrier sends the n-th message to /queue/barrier and waits for the
// broker to have it, and so everything sent before it.
func barrier(t *testing.T, b *sim.Broker, s *STOMP, n uint64) {
	t.Helper()
	require.NoError(t, s.SendMessage("/queue/barrier", "after"))
	waitFor(t, "the barrier at the broker", func() bool {
		d, ok := b.Destination("/queue/barrier")
		return ok && d.Enqueued == n
	})
}

// A COMMIT whose caller's context ends before the writer takes it is not
// written, and the caller hears ErrTimeout ("nothing was written": the
// call may be made again). The transaction stays open, on the broker and
// in the client: a message may still join it, and the second
// CommitTransaction commits it, once (the first COMMIT is never written).
func TestACommitThatWasNeverWrittenCanBeMadeAgain(t *testing.T) {
	b, s, errs := commitNotWritten(t)
	endAlarm(t, b, s)
	ci, ok := b.Connection(1)
	require.True(t, ok)
	require.Contains(t, ci.Transactions, "t1", "the broker still has the transaction open")
	require.NoError(t, s.Send(context.Background(), "/queue/tx", []byte("in-tx, later"), SendOptions{TransactionID: "t1"}),
		"t1 is still open: a message may join it")

	// ErrTimeout said nothing was written: commit again.
	require.NoError(t, s.CommitTransaction("t1"), "the transaction can no longer be committed; its message is lost")
	barrier(t, b, s, 2)
	d, _ := b.Destination("/queue/tx")
	assert.EqualValues(t, 2, d.Enqueued, "the transacted messages never reached their queue")
	assert.Empty(t, s.OpenTransactions())
	ci, ok = b.Connection(1)
	require.True(t, ok)
	assert.Empty(t, ci.Transactions, "committed")
	assert.Zero(t, errs.Load(), "committed once: the COMMIT withdrawn was never written (a second one is an ERROR)")
}

// After a COMMIT that was not written, the program may abort the
// transaction instead: its message is discarded.
func TestATransactionWhoseCommitWasNeverWrittenCanBeAborted(t *testing.T) {
	b, s, errs := commitNotWritten(t)
	endAlarm(t, b, s)
	require.NoError(t, s.AbortTransaction("t1"))
	barrier(t, b, s, 2)
	d, ok := b.Destination("/queue/tx")
	assert.False(t, ok && d.Enqueued > 0, "an aborted transaction's message was delivered")
	assert.Empty(t, s.OpenTransactions())
	ci, ok := b.Connection(1)
	require.True(t, ok)
	assert.Empty(t, ci.Transactions, "aborted")
	assert.Zero(t, errs.Load(), "the COMMIT withdrawn was never written")
}
