package frames

import (
	"io"
	"time"
)

// The Writer's buffer starts at initialWriteBuf bytes and grows to what
// the traffic needs. It is given back only after shrinkIdle during which
// every flush used less than a quarter of it: a connection that sends
// bursts of large frames keeps the buffer its bursts need instead of
// growing it again, by doubling, for every burst.
const (
	initialWriteBuf = 4096
	shrinkIdle      = time.Second
)

// Writer encodes frames into an internal buffer and writes them to an
// io.Writer on Flush. It is not safe for concurrent use.
type Writer struct {
	w   io.Writer
	enc Encoder
	buf []byte
	n   int64 // bytes written to w so far

	busyAt time.Time        // last flush that used a quarter of the buffer or more
	peak   int              // largest flush since busyAt
	now    func() time.Time // the clock; tests set their own
}

// NewWriter returns a Writer that encodes with enc and writes to w.
func NewWriter(w io.Writer, enc Encoder) *Writer {
	return &Writer{w: w, enc: enc, buf: make([]byte, 0, initialWriteBuf), now: time.Now}
}

// SetVersion changes the version used for frames encoded from now on.
func (w *Writer) SetVersion(v Version) { w.enc.Version = v }

// Version returns the version the writer encodes with.
func (w *Writer) Version() Version { return w.enc.Version }

// WriteFrame encodes f into the buffer. Nothing reaches the underlying
// writer until Flush. On an encoding error the buffer is unchanged.
func (w *Writer) WriteFrame(f *Frame) error {
	var err error
	w.buf, err = w.enc.Append(w.buf, f)
	return err
}

// WriteHeartbeat buffers one EOL.
func (w *Writer) WriteHeartbeat() { w.buf = append(w.buf, '\n') }

// WriteRaw buffers bytes exactly as given, with no framing or checks.
func (w *Writer) WriteRaw(p []byte) { w.buf = append(w.buf, p...) }

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Written returns the number of bytes flushed to the underlying writer.
func (w *Writer) Written() int64 { return w.n }

// Flush writes the buffered bytes with a single Write call. The buffer is
// kept for the next batch at the size the traffic needed; once every flush
// for a second has used less than a quarter of it, it shrinks to twice the
// largest of those flushes (4 KiB at least). A buffer that grew for bursts
// is therefore given back at the first flush after a quiet second, such as
// a heart-beat's.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	want := len(w.buf)
	n, err := w.w.Write(w.buf)
	w.n += int64(n)
	w.buf = w.buf[:0]
	w.fit(want)
	if err == nil && n < want {
		err = io.ErrShortWrite
	}
	return err
}

// fit keeps or shrinks the buffer after a flush of used bytes.
func (w *Writer) fit(used int) {
	c := cap(w.buf)
	if c <= initialWriteBuf {
		return
	}
	now := w.now()
	if used >= c/4 || w.busyAt.IsZero() {
		w.busyAt, w.peak = now, 0
		return
	}
	w.peak = max(w.peak, used)
	if now.Sub(w.busyAt) < shrinkIdle {
		return
	}
	if size := max(initialWriteBuf, 2*w.peak); size < c {
		w.buf = make([]byte, 0, size)
	}
	w.busyAt, w.peak = now, 0
}
