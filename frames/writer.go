package frames

import "io"

// Writer encodes frames into an internal buffer and writes them to an
// io.Writer on Flush. It is not safe for concurrent use.
type Writer struct {
	w   io.Writer
	enc Encoder
	buf []byte
	n   int64 // bytes written to w so far
}

// NewWriter returns a Writer that encodes with enc and writes to w.
func NewWriter(w io.Writer, enc Encoder) *Writer {
	return &Writer{w: w, enc: enc, buf: make([]byte, 0, 4096)}
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
// kept for reuse; a buffer that grew past 1 MiB for one large frame is
// released so a burst does not pin memory.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	want := len(w.buf)
	n, err := w.w.Write(w.buf)
	w.n += int64(n)
	if cap(w.buf) > 1<<20 {
		w.buf = make([]byte, 0, 4096)
	} else {
		w.buf = w.buf[:0]
	}
	if err == nil && n < want {
		err = io.ErrShortWrite
	}
	return err
}
