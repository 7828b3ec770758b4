package actors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A receipt id answered once its frame was written, but before the
// frame's writer started its deadline, and then taken by another frame
// belongs to that frame: the first frame's writer, starting the deadline
// late, leaves the second one's alone.
func TestReceiptWaitersLeaveAReusedIDToItsNewFrame(t *testing.T) {
	t.Run("start", func(t *testing.T) {
		b, _ := newWaiters(2)
		c := &Conn{}
		first, second := make(chan error, 1), make(chan error, 1)
		require.NoError(t, b.add("x", first, 0, 0))
		require.True(t, b.confirm("x", c))
		require.NoError(t, b.add("x", second, 0, 0)) // its deadline starts once it is written
		b.start("x", first, time.Nanosecond)
		b.mu.Lock()
		deadline := b.first.deadline
		b.mu.Unlock()
		require.True(t, deadline.IsZero(), "the first frame's write started the second one's deadline")
		require.True(t, b.confirm("x", c))
		require.NoError(t, recv(t, second, "the second frame's RECEIPT"))
	})
}
