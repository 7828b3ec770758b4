package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxRawFrame bounds the frames the raw loops read, so a peer cannot make
// them grow a buffer without end.
const maxRawFrame = 64 << 20

// splitter cuts a byte stream into STOMP frames with the least work that
// is still correct: it finds the end of the headers, reads content-length
// when present (else looks for the NUL) and skips the EOLs between frames.
// It is the raw reference's reader, not a decoder: headers are not parsed
// or unescaped.
type splitter struct {
	r          io.Reader
	buf        []byte
	start, end int
	// beforeRead, when set, runs before every read from r: the raw
	// consumer writes its batch of ACKs there.
	beforeRead func() error
}

func newSplitter(r io.Reader) *splitter {
	return &splitter{r: r, buf: make([]byte, batchBytes)}
}

// next returns the next frame, from its command to its NUL included. It is
// valid until the next call.
func (s *splitter) next() ([]byte, error) {
	for {
		for s.start < s.end && (s.buf[s.start] == '\n' || s.buf[s.start] == '\r') {
			s.start++
		}
		n, err := frameLen(s.buf[s.start:s.end])
		if err != nil {
			return nil, err
		}
		if n > 0 {
			f := s.buf[s.start : s.start+n]
			s.start += n
			return f, nil
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// room grows the buffer, before a measurement, to hold a frame of a body
// of size bytes and its headers (64 KiB at most: ample for the peers'),
// so that reading one grows nothing in the measured window. A buffer
// that holds one already is left as it is.
func (s *splitter) room(size int) {
	if n := min(size+64<<10, maxRawFrame); len(s.buf) < n {
		buf := make([]byte, n)
		s.end = copy(buf, s.buf[s.start:s.end])
		s.buf, s.start = buf, 0
	}
}

func (s *splitter) fill() error {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxRawFrame {
			return fmt.Errorf("a frame over %d bytes", maxRawFrame)
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	if s.beforeRead != nil {
		if err := s.beforeRead(); err != nil {
			return err
		}
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

var errBadFrame = errors.New("malformed frame")

// frameLen returns the length of the whole frame at the start of b, or 0
// when b does not hold all of it yet.
func frameLen(b []byte) (int, error) {
	bodyStart, clen := -1, -1
	for pos := 0; ; {
		k := bytes.IndexByte(b[pos:], '\n')
		if k < 0 {
			return 0, nil
		}
		line := b[pos : pos+k]
		if v, ok := bytes.CutPrefix(line, []byte("content-length:")); ok && clen < 0 {
			n, err := strconv.Atoi(string(bytes.TrimSuffix(v, []byte("\r"))))
			if err != nil || n < 0 || n > maxRawFrame {
				return 0, errBadFrame
			}
			clen = n
		}
		pos += k + 1
		if pos < len(b) && b[pos] == '\n' {
			bodyStart = pos + 1
			break
		}
		if pos+1 < len(b) && b[pos] == '\r' && b[pos+1] == '\n' {
			bodyStart = pos + 2
			break
		}
		if pos+1 >= len(b) {
			return 0, nil
		}
	}
	if clen >= 0 {
		end := bodyStart + clen
		if end >= len(b) {
			return 0, nil
		}
		if b[end] != 0 {
			return 0, errBadFrame
		}
		return end + 1, nil
	}
	k := bytes.IndexByte(b[bodyStart:], 0)
	if k < 0 {
		return 0, nil
	}
	return bodyStart + k + 1, nil
}

// rawHeader returns the raw (still escaped) value of the first header
// named key in frame, or nil.
func rawHeader(frame []byte, key string) []byte {
	nl := bytes.IndexByte(frame, '\n')
	for nl >= 0 {
		line := frame[nl+1:]
		end := bytes.IndexByte(line, '\n')
		if end <= 0 || (end == 1 && line[0] == '\r') {
			return nil
		}
		line = bytes.TrimSuffix(line[:end], []byte("\r"))
		if len(line) > len(key) && line[len(key)] == ':' && string(line[:len(key)]) == key {
			return line[len(key)+1:]
		}
		nl += 1 + end
	}
	return nil
}

// headerEscapes undoes STOMP 1.2's header escapes, for text shown.
var headerEscapes = strings.NewReplacer(`\c`, ":", `\n`, "\n", `\r`, "\r", `\\`, `\`)

// peerError is the error an ERROR frame from the peer makes: its message
// header, unescaped.
func peerError(frame []byte) error {
	return errors.New("ERROR from the peer: " + headerEscapes.Replace(string(rawHeader(frame, "message"))))
}

// command returns the frame's command line, without copying it: the raw
// loops switch on string(command(f)), which the compiler compares in
// place, so that the reference allocates nothing per frame.
func command(frame []byte) []byte {
	if i := bytes.IndexByte(frame, '\n'); i >= 0 {
		return bytes.TrimSuffix(frame[:i], []byte("\r"))
	}
	return nil
}

// rawConn is a STOMP 1.2 connection driven by hand, for the raw
// reference: frames are written as prepared bytes and read by a splitter.
// The end of the context it was dialled with closes it, so that every
// write and read of the raw loops (a write to a broker that stopped
// reading, the wait for a RECEIPT) ends at once, not at its timeout.
type rawConn struct {
	c       net.Conn
	sp      *splitter
	timeout time.Duration
	unwatch func() bool // withdraws the close on ctx's end
}

// rawDial connects to t and completes the STOMP handshake. The
// connection is closed when ctx ends.
func rawDial(ctx context.Context, t *Target, timeout time.Duration) (*rawConn, error) {
	connect, err := t.rawConnect()
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := d.DialContext(dctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	// Set up before the first write and outside any measured window: it
	// costs the loops nothing per frame.
	rc := &rawConn{c: c, sp: newSplitter(c), timeout: timeout, unwatch: context.AfterFunc(ctx, func() { _ = c.Close() })}
	if err := rc.write([]byte(connect)); err != nil {
		rc.close()
		return nil, interrupted(ctx, err)
	}
	if _, err := rc.await("CONNECTED", nil); err != nil {
		rc.close()
		return nil, interrupted(ctx, fmt.Errorf("raw CONNECT to %s: %w", t.Addr, err))
	}
	return rc, nil
}

func (rc *rawConn) close() {
	if rc.unwatch != nil { // nil: built by hand, not by rawDial
		rc.unwatch()
	}
	_ = rc.c.Close()
}

// errInterrupted is what a measurement that its context's end cut short
// returns (wrapping the context's cause), in place of whatever the
// closed connection or the cancelled call said.
var errInterrupted = errors.New("interrupted")

// interrupted returns err, or, when ctx has ended, errInterrupted with
// ctx's cause: a raw loop's connection closed by ctx's end fails with
// "use of closed network connection", which says less.
func interrupted(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, errInterrupted) {
		return err
	}
	return fmt.Errorf("%w (%w)", errInterrupted, context.Cause(ctx))
}

func (rc *rawConn) write(b []byte) error {
	if err := rc.c.SetWriteDeadline(time.Now().Add(rc.timeout)); err != nil {
		return err
	}
	_, err := rc.c.Write(b)
	return err
}

// await reads frames until one with the command cmd (and, when id is set,
// the receipt-id id) arrives, within the timeout. Frames of other kinds
// are skipped; an ERROR is returned as an error.
func (rc *rawConn) await(cmd string, id []byte) ([]byte, error) {
	if err := rc.c.SetReadDeadline(time.Now().Add(rc.timeout)); err != nil {
		return nil, err
	}
	defer func() { _ = rc.c.SetReadDeadline(time.Time{}) }()
	return rc.expect(cmd, id)
}

// expect is await under whatever read deadline the connection has.
func (rc *rawConn) expect(cmd string, id []byte) ([]byte, error) {
	for {
		f, err := rc.sp.next()
		if err != nil {
			return nil, err
		}
		switch string(command(f)) {
		case cmd:
			if id == nil || bytes.Equal(rawHeader(f, "receipt-id"), id) {
				return f, nil
			}
		case "ERROR":
			return nil, peerError(f)
		}
	}
}
