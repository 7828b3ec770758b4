package frames

import (
	"bytes"
	"io"
)

// line returns the bounds of the next line, without its EOL, and moves past
// it. A line longer than max is a *LimitError naming which.
func (d *Decoder) line(max int, which Limit) (int, int, error) {
	// Fast path: an LF-terminated line already buffered, within max.
	start := d.pos
	if i := bytes.IndexByte(d.buf[start:d.end], '\n'); i >= 0 && i <= max && (i == 0 || d.buf[start+i-1] != '\r') {
		d.pos = start + i + 1
		return start, start + i, nil
	}
	return d.lineSlow(max, which)
}

// lineSlow is line for a line that is not all buffered yet, ends in CRLF or
// is too long.
func (d *Decoder) lineSlow(max int, which Limit) (int, int, error) {
	rs := d.pos - d.start
	rf := rs
	for {
		start, from := d.start+rs, d.start+rf
		if i := bytes.IndexByte(d.buf[from:d.end], '\n'); i >= 0 {
			nl := from + i
			// The same test as below while no LF is buffered, so that the
			// error never depends on where the reads split the stream.
			if nl-start > max+1 {
				return 0, 0, &LimitError{Limit: which, Max: max}
			}
			end := nl
			if end > start && d.buf[end-1] == '\r' {
				if d.ver < V12 {
					return 0, 0, syntaxErr(CmdInvalid, "CRLF line ending (allowed from STOMP 1.2 on)")
				}
				end--
			}
			if end-start > max {
				return 0, 0, &LimitError{Limit: which, Max: max}
			}
			d.pos = nl + 1
			return start, end, nil
		}
		if d.end-start > max+1 {
			return 0, 0, &LimitError{Limit: which, Max: max}
		}
		rf = d.end - d.start
		if err := d.fill(0); err != nil {
			return 0, 0, unexpected(err)
		}
	}
}

// need reads until the buffer holds data up to absolute index upto.
func (d *Decoder) need(upto int) error {
	rel := upto - d.start
	for d.end-d.start < rel {
		if err := d.fill(d.start + rel); err != nil {
			return err
		}
	}
	return nil
}

// fill reads more data, first making room by moving the current frame to
// the front of the buffer, then by growing it up to MaxFrame+1 bytes.
// want, when non-zero, is the absolute index the caller needs buffered; it
// sizes the growth in one step.
func (d *Decoder) fill(want int) error {
	if d.rerr != nil {
		err := d.rerr
		d.rerr = nil
		return err
	}
	if d.end == len(d.buf) {
		// In the idle buffer, a frame that does not fit means traffic:
		// move to a large buffer rather than compact within 512 bytes,
		// which would read a firehose a few hundred bytes at a time.
		idle := d.lent == nil && len(d.buf) <= idleSize && d.size0 > len(d.buf)
		if d.start > 0 && !idle && d.filled && d.lent != nil && len(d.buf) == defaultBufSize {
			// The last read filled the buffer and a frame still runs
			// past it: a stream. Read on into a buffer of streamBufSize,
			// so a firehose costs a quarter of the reads, and keep it
			// while the stream lasts (decode).
			d.borrow(streamBufSize)
		} else if d.start > 0 && !idle {
			n := copy(d.buf, d.buf[d.start:d.end])
			d.pos -= d.start
			d.end = n
			d.start = 0
		} else {
			max := d.lim.MaxFrame + 1
			if len(d.buf) >= max {
				return &LimitError{Limit: LimitFrame, Max: d.lim.MaxFrame}
			}
			size := 2 * len(d.buf)
			if d.lent == nil && len(d.buf) <= idleSize {
				size = d.size0 // leaving the small buffer
			}
			if want-d.start >= size {
				// A byte of room beyond the frame: the read that ends
				// it comes back short when nothing follows, which is
				// how a reader knows the socket is drained.
				size = want - d.start + 1
			}
			if size > max {
				size = max
			}
			d.borrow(size)
		}
	}
	for range 100 {
		room := len(d.buf) - d.end
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		d.nread += int64(n)
		d.filled = n == room
		if n > 0 {
			d.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}
