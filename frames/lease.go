package frames

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// A Lease is a share of memory that frames decoded by DecodeOwned live in
// while the stream is busy: a chunk that several small frames are carved
// from, or the buffer of one larger frame. Whoever is done with such a
// frame (its headers and body, and every string taken from them) may say
// so with Release; once every frame of a chunk is released, and the
// decoder has moved on, the chunk serves later frames instead of being
// collected. A frame never released is simply collected with its chunk,
// as any memory. Releasing a frame that is still used hands its memory to
// other frames: release only what nothing refers to any more.
type Lease struct {
	refs  atomic.Int32
	buf   []byte
	class int8 // leasePools index, -1: not pooled
}

// Release gives back the holder's share; the last share returns the
// memory to the decoder's pools. Release each frame's lease once.
func (l *Lease) Release() {
	if l == nil {
		return
	}
	if l.refs.Add(-1) == 0 && l.class >= 0 {
		leasePools[l.class].Put(l)
	}
}

// Leases come in power-of-two sizes from minLease to maxLease; a frame
// larger than maxLease gets memory of its own.
const (
	minLeaseClass = 10 // 1 KiB
	maxLeaseClass = 20 // 1 MiB
)

var leasePools [maxLeaseClass - minLeaseClass + 1]sync.Pool

// takeLease returns a lease of at least n bytes (len n), holding one
// share, or nil when n is beyond the largest class.
func takeLease(n int) *Lease {
	c := max(bits.Len(uint(n-1)), minLeaseClass)
	if n <= 0 || c > maxLeaseClass {
		return nil
	}
	i := c - minLeaseClass
	l, _ := leasePools[i].Get().(*Lease)
	if l == nil {
		l = &Lease{buf: make([]byte, 1<<c), class: int8(i)}
	}
	l.refs.Store(1)
	return l
}
