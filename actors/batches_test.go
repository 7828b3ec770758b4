package actors

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBatchClasses(t *testing.T) {
	for n := 1; n <= maxBatch; n++ {
		b := newBatch(n)
		require.GreaterOrEqual(t, cap(b.msgs), n, "n=%d", n)
		require.Less(t, cap(b.msgs), 2*n, "n=%d: at most twice the room needed", n)
		require.Empty(t, b.msgs)
		b.recycle()
	}
}

func TestRecycledBatchKeepsNoMessageAlive(t *testing.T) {
	b := newBatch(3)
	body := []byte("kept by the handler")
	b.msgs = append(b.msgs, Message{MessageID: "m-1", Body: body}, Message{MessageID: "m-2"})
	msgs := b.msgs[:cap(b.msgs)]
	b.recycle()
	for i, m := range msgs {
		assert.Equal(t, Message{}, m, "slot %d still holds a message", i)
	}
	assert.Equal(t, "kept by the handler", string(body), "what the message pointed to is not touched")
}

func TestRecycleRefusesAForeignSlice(t *testing.T) {
	b := &messagesDelivered{msgs: make([]Message, 3, 5)}
	b.recycle() // not a class size: left to the GC, not pooled
	assert.Len(t, b.msgs, 3)
}
