package actors

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A receipt added without a deadline (its frame not yet written, for a
// caller whose wait is an inactivity one) outlives the timer's passes for
// the others, and fails at the deadline start gives it.
func TestReceiptWaitersDeadlineStartsAtTheWrite(t *testing.T) {
	b, st := newWaiters(3)
	later, short, first := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	require.NoError(t, b.add("first", first, 0, 0)) // held in first, without a deadline
	require.NoError(t, b.add("later", later, 0, 0)) // in the map, without a deadline
	require.NoError(t, b.add("short", short, 20*time.Millisecond, 0))
	require.ErrorIs(t, recv(t, short, "the short receipt's timeout"), ErrReceiptTimeout)
	require.EqualValues(t, 2, st.ReceiptsPending.Load(), "the receipts without a deadline are still awaited")
	select {
	case err := <-later:
		t.Fatalf("a receipt without a deadline was answered (%v)", err)
	case err := <-first:
		t.Fatalf("a receipt without a deadline was answered (%v)", err)
	default:
	}
	b.start("later", later, 20*time.Millisecond)
	require.ErrorIs(t, recv(t, later, "the started receipt's timeout"), ErrReceiptTimeout)
	b.start("first", first, 20*time.Millisecond)
	require.ErrorIs(t, recv(t, first, "the started first receipt's timeout"), ErrReceiptTimeout)
	require.Zero(t, st.ReceiptsPending.Load())
	b.start("gone", nil, time.Millisecond) // answered or never added: nothing to do
	b.end(ErrConnectionLost)
}

// An inactivity context without a write to track ends d after its start,
// with context.DeadlineExceeded; its parent's end ends it at once; its
// cancel ends it with context.Canceled. InactivityWait finds it through
// a derived context.
func TestInactivityContextWithoutAWrite(t *testing.T) {
	c := &Conn{}
	ctx, cancel := c.InactivityContext(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, hasDeadline := ctx.Deadline()
	require.False(t, hasDeadline, "an inactivity wait has no fixed deadline")
	derived := context.WithValue(ctx, derivedKey{}, 1)
	d, ok := InactivityWait(derived)
	require.True(t, ok)
	require.Equal(t, 20*time.Millisecond, d)
	_, ok = InactivityWait(context.Background())
	require.False(t, ok)
	<-ctx.Done()
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	require.ErrorIs(t, ctxErr(ctx), ErrTimeout)

	parent, stop := context.WithCancel(context.Background())
	ctx2, cancel2 := c.InactivityContext(parent, time.Hour)
	defer cancel2()
	stop()
	<-ctx2.Done()
	require.ErrorIs(t, ctx2.Err(), context.Canceled)

	ctx3, cancel3 := c.InactivityContext(context.Background(), time.Hour)
	cancel3()
	<-ctx3.Done()
	require.ErrorIs(t, ctx3.Err(), context.Canceled)
	cancel3()
}

// derivedKey is the key of a value a test derives a context with.
type derivedKey struct{}
