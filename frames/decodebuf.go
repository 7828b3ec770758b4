package frames

import "sync"

// The decoder's buffers: a small one while it waits between frames, and
// large ones borrowed from pools shared by every decoder while frames come.

// defaultBufSize is the large buffer a decoder borrows once a frame is
// under way.
const defaultBufSize = 64 << 10

// streamBufSize is the buffer of a decoder whose reads keep filling
// defaultBufSize (one of grownPools' classes): a socket with more than
// that waiting is a stream, and larger reads cost it fewer system calls.
const streamBufSize = 4 * defaultBufSize

// idleSize is the buffer a decoder reads into while no frame is under way.
// Between frames the decoder gives its large buffer back to a pool shared
// by every decoder, so a connection that waits for traffic holds only this
// much; the first bytes of a frame larger than it borrow a large buffer
// again.
const idleSize = 512

// smallPool holds idle buffers (idleSize bytes) of decoders that gave
// theirs back (Release).
var smallPool = sync.Pool{New: func() any {
	b := make([]byte, idleSize)
	return &b
}}

// bufPool holds large buffers (defaultBufSize bytes) between frames.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, defaultBufSize)
	return &b
}}

// shrinkAbove is the buffer size past which the decoder, once it has
// handed out the frame that made the buffer grow, goes back to a buffer of
// the initial size, so one large frame does not pin its memory for the rest
// of the connection.
const shrinkAbove = 1 << 20

// idleBuf returns the idle buffer, taking one from the pool if the
// decoder has none.
func (d *Decoder) idleBuf() []byte {
	if d.small == nil {
		d.small = smallPool.Get().(*[]byte)
	}
	return (*d.small)[:min(idleSize, d.size0)]
}

// Release gives the decoder's buffers back to the pools shared by every
// decoder, if nothing is buffered (Pending is false): for a connection
// about to wait for traffic, which then holds no buffer at all. The next
// Decode takes a buffer again. Frames returned by Decode before are no
// longer valid (those of DecodeOwned are).
func (d *Decoder) Release() {
	if d.pos < d.end {
		return
	}
	d.start, d.pos, d.end = 0, 0, 0
	d.giveBack()
	if d.small != nil {
		smallPool.Put(d.small)
		d.small = nil
	}
	d.buf = nil
	d.frame, d.hdrs, d.offs = Frame{}, nil, nil
	d.dropChunk()
	d.hslab, d.lease = nil, nil
}

// grownPools hold the buffers a frame larger than defaultBufSize makes a
// decoder grow into, by power-of-two class from twice defaultBufSize up to
// shrinkAbove, so that a stream of large frames (or one large frame at a
// time on a quiet connection) reuses them instead of growing a new one for
// every frame.
var grownPools [4]sync.Pool // 128 KiB, 256 KiB, 512 KiB, 1 MiB

// The largest class is shrinkAbove: this fails to compile otherwise.
var _ = [1]struct{}{}[shrinkAbove/(defaultBufSize<<len(grownPools))-1]

// grownClass returns the index of the smallest class of grownPools that
// holds size bytes, or -1 when none does.
func grownClass(size int) int {
	for i := range grownPools {
		if size <= defaultBufSize<<(i+1) {
			return i
		}
	}
	return -1
}

// borrow replaces buf with a buffer of size bytes (or more, up to the size
// of its pool's class), keeping the bytes from start to end at its front.
func (d *Decoder) borrow(size int) {
	var nb []byte
	var lent *[]byte
	if size == defaultBufSize {
		lent = bufPool.Get().(*[]byte)
		nb = *lent
	} else if c := grownClass(size); size > defaultBufSize && c >= 0 {
		if p, ok := grownPools[c].Get().(*[]byte); ok {
			lent = p
		} else {
			b := make([]byte, defaultBufSize<<(c+1))
			lent = &b
		}
		nb = *lent
	} else {
		nb = make([]byte, size)
	}
	n := copy(nb, d.buf[d.start:d.end])
	d.giveBack()
	d.buf, d.lent = nb, lent
	d.pos -= d.start
	d.end = n
	d.start = 0
}

// giveBack returns a borrowed buffer to the pool.
func (d *Decoder) giveBack() {
	if d.lent == nil {
		return
	}
	if n := len(*d.lent); n == defaultBufSize {
		bufPool.Put(d.lent)
	} else if c := grownClass(n); c >= 0 {
		grownPools[c].Put(d.lent)
	}
	d.lent = nil
}

// rest goes back to the small buffer once nothing is buffered: the frames
// decoded before are no longer valid, so their memory may be reused.
func (d *Decoder) rest() {
	d.start, d.pos, d.end = 0, 0, 0
	if d.buf == nil {
		d.buf = d.idleBuf() // new, or released
	} else if len(d.buf) > idleSize || d.lent != nil {
		d.giveBack()
		d.buf = d.idleBuf()
		// The header slices too: a frame's worth of them waits for
		// the next frame that needs them.
		d.frame, d.hdrs, d.offs = Frame{}, nil, nil
		d.dropChunk()
		d.hslab = nil
	}
}
