package actors

import (
	"math/bits"
	"sync"
)

// Batches of messages handed from a reader to a subscription are reused:
// the subscription gives each back once its messages were handled. A
// batch's slice is taken from the smallest class (a power of two up to
// maxBatch) that holds its messages, so a mailbox full of small batches
// holds at most twice the memory of their messages, and a busy
// subscription's batches cost no allocation once the classes it uses are
// stocked. An idle engine's batches go with the next GCs (sync.Pool).
var batchClasses [8]sync.Pool // 1, 2, 4 … 128: maxBatch is the largest

// batchClass is the index of the smallest class holding n messages.
func batchClass(n int) int { return bits.Len(uint(n - 1)) }

// newBatch returns an empty batch with room for n messages (1 ≤ n ≤
// maxBatch).
func newBatch(n int) *messagesDelivered {
	c := batchClass(n)
	if b, ok := batchClasses[c].Get().(*messagesDelivered); ok {
		return b
	}
	return &messagesDelivered{msgs: make([]Message, 0, 1<<c)}
}

// recycle gives b back for another hand-off. Nothing may use b or its
// messages afterwards; what the messages point to (their headers and
// body) stays with whoever kept it.
func (b *messagesDelivered) recycle() {
	c := batchClass(cap(b.msgs))
	if cap(b.msgs) != 1<<c {
		return // not one of ours
	}
	clear(b.msgs)
	b.msgs = b.msgs[:0]
	batchClasses[c].Put(b)
}

// The largest class is maxBatch: this fails to compile otherwise.
var _ = [1]struct{}{}[maxBatch>>(len(batchClasses)-1)-1]
