package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// maxRecord bounds one record of send --lines or --null: a longer one
// ends the run (the records before it are sent).
const maxRecord = 64 << 20

// recordReader splits its input into records, each ended by end ('\n' or
// NUL); the end is not part of the record, and with '\n' neither is one
// carriage return right before it (a CRLF newline, as bufio.ScanLines
// takes it). A last record without its end is a record too, kept whole.
type recordReader struct {
	r   *bufio.Reader
	end byte
	n   int // records read so far
	buf []byte
	max int // the longest record taken, its end left out (maxRecord)
}

func newRecordReader(r io.Reader, end byte) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64<<10), end: end, max: maxRecord}
}

// next returns the next record, valid until the following call; ok false
// at the end of the input.
func (rr *recordReader) next() (rec []byte, ok bool, err error) {
	rr.buf = rr.buf[:0]
	for {
		chunk, err := rr.r.ReadSlice(rr.end)
		// Room for the end, and for a CRLF newline's CR: the record is
		// measured once they are taken off.
		if len(rr.buf)+len(chunk) > rr.max+rr.endRoom() {
			return nil, false, rr.tooLong()
		}
		rr.buf = append(rr.buf, chunk...)
		switch {
		case err == nil:
			rec := rr.buf[:len(rr.buf)-1]
			if rr.end == '\n' && len(rec) > 0 && rec[len(rec)-1] == '\r' {
				rec = rec[:len(rec)-1] // CRLF: the CR is part of the newline
			}
			if len(rec) > rr.max {
				return nil, false, rr.tooLong()
			}
			rr.n++
			return rec, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF || errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.EBADF):
			if len(rr.buf) == 0 {
				return nil, false, nil
			}
			if len(rr.buf) > rr.max {
				return nil, false, rr.tooLong()
			}
			rr.n++
			return rr.buf, true, nil
		default:
			return nil, false, fmt.Errorf("reading record %d: %w", rr.n+1, err)
		}
	}
}

// tooLong is the error of a record over rr.max bytes.
func (rr *recordReader) tooLong() error {
	if rr.max >= 1<<20 {
		return fmt.Errorf("record %d is longer than %d MiB", rr.n+1, rr.max>>20)
	}
	return fmt.Errorf("record %d is longer than %d bytes", rr.n+1, rr.max)
}

// endRoom is how many bytes a record's end takes at most: a CRLF
// newline's two for '\n', else one.
func (rr *recordReader) endRoom() int {
	if rr.end == '\n' {
		return 2
	}
	return 1
}

// record is one record read ahead by pump, or why reading stopped.
type record struct {
	body []byte
	err  error
}

// pump reads rr's records on a goroutine of its own, one ahead of the
// sender, so that waiting for input gives way to ctx (a signal). The
// channel closes at the end of the input; stop ends the goroutine once
// its read returns.
func pump(rr *recordReader, stop <-chan struct{}) <-chan record {
	ch := make(chan record, 1)
	go func() {
		defer close(ch)
		for {
			rec, ok, err := rr.next()
			if !ok && err == nil {
				return
			}
			r := record{err: err}
			if err == nil {
				r.body = bytes.Clone(rec)
			}
			select {
			case ch <- r:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// nextRecord waits for the next record of ch: ok false at the end of the
// input; ctx's error when ctx ends first.
func nextRecord(ctx context.Context, ch <-chan record) (body []byte, ok bool, err error) {
	select {
	case r, open := <-ch:
		if !open {
			return nil, false, nil
		}
		return r.body, r.err == nil, r.err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}
