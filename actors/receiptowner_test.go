package actors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A receipt id answered early (a RECEIPT the broker sent before the frame
// left) and then taken by another frame belongs to that frame: the first
// frame's writer, withdrawing its receipt (its frame could not be
// encoded) or starting its deadline (its last byte written), leaves the
// second one's alone.
func TestReceiptWaitersLeaveAReusedIDToItsNewFrame(t *testing.T) {
	t.Run("withdraw", func(t *testing.T) {
		b, st := newWaiters(2)
		c := &Conn{}
		first, second := make(chan error, 1), make(chan error, 1)
		require.NoError(t, b.add("x", first, 0))
		require.True(t, b.confirm("x", c))
		require.NoError(t, recv(t, first, "the early RECEIPT"))
		require.NoError(t, b.add("x", second, time.Minute))
		require.False(t, b.withdraw("x", first), "the first frame's receipt was answered already")
		require.EqualValues(t, 1, st.ReceiptsPending.Load())
		require.True(t, b.confirm("x", c), "the second frame still awaits its RECEIPT")
		require.NoError(t, recv(t, second, "the second frame's RECEIPT"))
	})
	t.Run("start", func(t *testing.T) {
		b, _ := newWaiters(2)
		c := &Conn{}
		first, second := make(chan error, 1), make(chan error, 1)
		require.NoError(t, b.add("x", first, 0))
		require.True(t, b.confirm("x", c))
		require.NoError(t, b.add("x", second, 0)) // its deadline starts once it is written
		b.start("x", first, time.Nanosecond)
		b.mu.Lock()
		deadline := b.first.deadline
		b.mu.Unlock()
		require.True(t, deadline.IsZero(), "the first frame's write started the second one's deadline")
		require.True(t, b.confirm("x", c))
		require.NoError(t, recv(t, second, "the second frame's RECEIPT"))
	})
}
