package frames

import (
	"io"
	"math/bits"
	"sync"
)

// A Writer holds a buffer only while it has bytes to write: the first
// frame after a flush borrows one from a pool shared by every Writer, and
// Flush gives it back. The pools are by size class, and a Writer borrows
// from the class its last flush needed, so bursts of large frames find a
// buffer of their size instead of growing one, by doubling, each time;
// an idle connection holds no buffer at all.
const (
	minWriteClass = 12 // 4 KiB, the smallest buffer lent
	maxWriteClass = 27 // 128 MiB, the largest kept in a pool (the GC empties pools)
)

var writeBufs [maxWriteClass + 1]sync.Pool

// writeClass is the size class that holds n bytes: its buffers are
// 1<<class bytes.
func writeClass(n int) int {
	if n <= 1<<minWriteClass {
		return minWriteClass
	}
	return bits.Len(uint(n - 1))
}

// writeBoxes holds the empty boxes the pools keep buffers in, so that
// giving a buffer back allocates nothing.
var writeBoxes sync.Pool

func borrowWriteBuf(class int) []byte {
	if p, ok := writeBufs[class].Get().(*[]byte); ok {
		b := (*p)[:0]
		*p = nil
		writeBoxes.Put(p)
		return b
	}
	return make([]byte, 0, 1<<class)
}

// giveBackWriteBuf pools b in the largest class it can serve.
func giveBackWriteBuf(b []byte) {
	class := bits.Len(uint(cap(b))) - 1
	if class < minWriteClass {
		return
	}
	if class > maxWriteClass {
		return // too large to keep: the GC takes it
	}
	p, _ := writeBoxes.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:0]
	writeBufs[class].Put(p)
}

// Writer encodes frames into a buffer and writes them to an io.Writer on
// Flush. It is not safe for concurrent use.
type Writer struct {
	w     io.Writer
	enc   Encoder
	buf   []byte // nil between flushes
	class int    // the size class the last flush needed
	n     int64  // bytes written to w so far
}

// NewWriter returns a Writer that encodes with enc and writes to w.
func NewWriter(w io.Writer, enc Encoder) *Writer {
	return &Writer{w: w, enc: enc, class: minWriteClass}
}

// SetVersion changes the version used for frames encoded from now on.
func (w *Writer) SetVersion(v Version) { w.enc.Version = v }

// Version returns the version the writer encodes with.
func (w *Writer) Version() Version { return w.enc.Version }

func (w *Writer) ready() {
	if w.buf == nil {
		w.buf = borrowWriteBuf(w.class)
	}
}

// WriteFrame encodes f into the buffer. Nothing reaches the underlying
// writer until Flush. On an encoding error the buffer is unchanged.
func (w *Writer) WriteFrame(f *Frame) error {
	w.ready()
	if len(w.buf)+len(f.Body) > cap(w.buf) {
		w.room(encodedSize(f))
	}
	b, err := w.enc.Append(w.buf, f)
	w.buf = b
	return err
}

// room makes the buffer able to take n more bytes: a buffer too small is
// swapped for a pooled one of the class that holds them (its bytes copied,
// it goes back to its pool), so that a large frame does not grow the
// buffer by doubling, leaving each smaller copy to the collector.
func (w *Writer) room(n int) {
	want := len(w.buf) + n
	if want <= cap(w.buf) || writeClass(want) > maxWriteClass {
		return // room enough, or beyond the pools: append grows it
	}
	b := append(borrowWriteBuf(writeClass(want)), w.buf...)
	giveBackWriteBuf(w.buf)
	w.buf = b
}

// encodedSize is about what f takes encoded: exact for unescaped headers,
// short by the escapes otherwise (append grows for those).
func encodedSize(f *Frame) int {
	n := len(f.Body) + len(HdrContentLength) + 40 // the command, the length, EOLs, NUL
	for i := range f.Headers {
		n += len(f.Headers[i].Key) + len(f.Headers[i].Value) + 2
	}
	return n
}

// WriteHeartbeat buffers one EOL.
func (w *Writer) WriteHeartbeat() {
	w.ready()
	w.buf = append(w.buf, '\n')
}

// WriteRaw buffers bytes exactly as given, with no framing or checks.
func (w *Writer) WriteRaw(p []byte) {
	w.ready()
	w.buf = append(w.buf, p...)
}

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Written returns the number of bytes flushed to the underlying writer
// (or detached).
func (w *Writer) Written() int64 { return w.n }

// Detach hands the buffered bytes to the caller and leaves the Writer
// empty, for a caller that writes them itself: outside the lock that
// guards the Writer, say, so that frames can be encoded into a new buffer
// while they are written. The next frame borrows a buffer of the size
// these bytes needed. Give the slice back with Recycle once written.
// Detach returns nil when nothing is buffered.
func (w *Writer) Detach() []byte {
	b := w.buf
	w.buf = nil
	if len(b) > 0 {
		w.class = min(writeClass(len(b)), maxWriteClass)
		w.n += int64(len(b))
	}
	return b
}

// Truncate drops what was buffered after the first n bytes (n is a
// Buffered value taken before): a frame encoded and then not to be sent.
func (w *Writer) Truncate(n int) {
	if n < len(w.buf) {
		w.buf = w.buf[:n]
	}
}

// DetachAside is Detach for a write aside from the usual flushes (a frame
// written alone while the connection was idle): the size the next buffer
// borrows stays the one the flushes needed, so a burst that follows does
// not regrow its buffer from a single frame's size.
func (w *Writer) DetachAside() []byte {
	b := w.buf
	w.buf = nil
	w.n += int64(len(b))
	return b
}

// Recycle gives back a buffer that Detach returned, once its bytes are
// written; b must not be used afterwards.
func Recycle(b []byte) { giveBackWriteBuf(b) }

// Flush writes the buffered bytes with a single Write call and gives the
// buffer back; the next frame borrows one of the size this flush needed.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	want := len(w.buf)
	n, err := w.w.Write(w.buf)
	w.n += int64(n)
	w.class = min(writeClass(want), maxWriteClass)
	giveBackWriteBuf(w.buf)
	w.buf = nil
	if err == nil && n < want {
		err = io.ErrShortWrite
	}
	return err
}
