package frames

import (
	"bytes"
	"errors"
	"io"
	"os"

	"github.com/stompactor/stompactor/internal/safetext"
)

// Decoder reads frames from a stream. It reads in large chunks into a
// buffer of its own, so wrapping the reader in a bufio.Reader gains nothing.
//
// The *Frame returned by Decode, its Headers slice and its Body all point
// into memory the decoder reuses: they are valid only until the next call
// to Decode. Use Frame.Clone to keep a frame.
//
// After any error other than a heart-beat the stream is out of step, so
// the error is sticky: every later Decode returns it again; all but a read
// that met its deadline (an error that is os.ErrDeadlineExceeded, as a
// net.Conn's read deadline gives): the frame under way stays buffered and
// the next Decode reads it again from its start, so that a deadline can
// bound a wait in the middle of a frame without losing the stream.
type Decoder struct {
	r     io.Reader
	lim   Limits
	ver   Version
	buf   []byte
	size0 int     // size of the buffer a frame borrows
	lent  *[]byte // buf, when it is borrowed from bufPool
	start int     // first byte of the frame being decoded
	pos   int     // next unread byte
	end   int     // end of buffered data
	rerr  error   // a read error held back because data came with it
	err   error   // sticky decode error
	own   bool    // frames own their memory (DecodeOwned)
	// filled is set when the last read filled all the room it was given:
	// more is most likely waiting in the socket, so the next frame is read
	// into a large buffer rather than the idle one.
	filled bool

	frame Frame
	hdrs  Headers
	offs  []hdrOffsets
	nread int64

	small *[]byte // the idle buffer, from smallPool; nil after Release

	// slab and hslab hold what DecodeOwned has not yet handed out of the
	// chunks it carves small frames from while the stream is busy
	// (owned.go); nil while it is quiet. chunk is slab's lease, of which
	// the decoder holds a share while it carves from it; lease is the
	// share of the frame DecodeOwned returned last (Lease).
	slab  []byte
	hslab Headers
	chunk *Lease
	lease *Lease
	// leasing: frames are given back, so all of them are leased
	// (SetLeasing).
	leasing bool
	// lenientErrors: an ERROR with escapes its version does not define
	// keeps its header text as it came (SetLenientErrors).
	lenientErrors bool
}

// hdrOffsets locates a header line's key and value, relative to the start
// of the frame so that they survive the buffer being compacted.
type hdrOffsets struct {
	k0, k1, v0, v1 int
}

// NewDecoder returns a decoder reading from r that unescapes headers as
// version v requires, with the given limits (zero fields take defaults).
func NewDecoder(r io.Reader, v Version, lim Limits) *Decoder {
	d := new(Decoder)
	d.Reset(r, v, lim)
	return d
}

// Reset makes d what NewDecoder(r, v, lim) returns, so that a decoder can
// be reused: what it buffered is dropped, its buffers go back to the
// shared pools, and frames it returned before are no longer valid (those
// of DecodeOwned are).
func (d *Decoder) Reset(r io.Reader, v Version, lim Limits) {
	d.pos, d.end = 0, 0
	d.Release()
	d.dropChunk()
	lim = lim.withDefaults()
	size := defaultBufSize
	if m := lim.MaxFrame + 1; m < size {
		size = m
	}
	*d = Decoder{r: r, lim: lim, ver: v, size0: size}
}

// SetVersion changes the version used for the frames decoded from now on,
// once the connection's version has been negotiated.
func (d *Decoder) SetVersion(v Version) { d.ver = v }

// SetLenientErrors makes an ERROR frame whose header text holds an escape
// the decoder's version does not define keep that text as it came, where
// it would fail as malformed: for the frames of a handshake, before
// CONNECTED names the version, when a STOMP 1.0 server (which escapes
// nothing) may refuse a login with a backslash in its message.
func (d *Decoder) SetLenientErrors(on bool) { d.lenientErrors = on }

// keptAsItCame reports whether the header text of a cmd frame, which
// holds a backslash, keeps it as it came (SetLenientErrors): called only
// then, off the path of every frame.
func (d *Decoder) keptAsItCame(cmd Command, text []byte) bool {
	return d.lenientErrors && cmd == CmdError && !validEscapes(text, d.ver)
}

// Version returns the version the decoder unescapes with.
func (d *Decoder) Version() Version { return d.ver }

// Pending reports whether the next Decode has something to go on without
// reading: a byte is buffered, or an error is held.
func (d *Decoder) Pending() bool {
	return d.pos < d.end || d.rerr != nil || d.err != nil
}

// Limits returns the decoder's limits with defaults filled in.
func (d *Decoder) Limits() Limits { return d.lim }

// BytesRead returns how many bytes the decoder has read from its reader.
func (d *Decoder) BytesRead() int64 { return d.nread }

// Buffered returns how many bytes have been read but not yet decoded.
func (d *Decoder) Buffered() int { return d.end - d.pos }

// Decode reads the next frame. Every EOL between frames is returned as a
// frame whose Command is Heartbeat, including an EOL that directly follows a
// frame's NUL (the spec lets a frame end with EOLs, and they cannot be told
// apart from heart-beats): so what Decode returns never depends on how the
// stream was split into reads, and a frame never waits for bytes after its
// NUL. A clean end of stream between frames returns io.EOF; an end inside a
// frame returns io.ErrUnexpectedEOF. Malformed input returns a *SyntaxError,
// input over a limit a *LimitError.
func (d *Decoder) Decode() (*Frame, error) {
	if d.err != nil {
		return nil, d.err
	}
	d.own = false
	f, err := d.decode()
	if err != nil {
		if !d.paused(err) {
			d.err = err
		}
		return nil, err
	}
	return f, nil
}

// DecodeOwned is Decode for a frame the caller keeps: its headers and body
// are its own, valid after the next call, at the cost of one allocation
// holding the header text (unescaped in it) and the body together, and one
// for the header list. Use it rather than Decode and Clone, which copies
// twice. The Frame value returned is the caller's too. While the stream is
// busy, frames under 1 KiB share those allocations with their neighbours
// (chunks of at most 8 KiB of bytes and 64 headers), so keeping one of
// them keeps its chunks alive: Clone a frame kept for long. A frame of a
// busy stream lives in memory the decoder can take back (Lease).
func (d *Decoder) DecodeOwned() (Frame, error) {
	if d.err != nil {
		return Frame{}, d.err
	}
	d.own = true
	d.lease = nil
	f, err := d.decode()
	if err != nil {
		if !d.paused(err) {
			d.err = err
		}
		return Frame{}, err
	}
	return *f, nil
}

// paused reports whether err is a read that met its deadline, and then
// goes back to the start of the frame under way, which decode reads again
// at the next call (every read of a frame comes before it is built, so
// nothing of it has changed yet).
func (d *Decoder) paused(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	d.pos = d.start
	return true
}

func (d *Decoder) decode() (*Frame, error) {
	d.start = d.pos
	if len(d.buf) > shrinkAbove && d.end-d.pos <= d.size0/2 && d.pos < d.end {
		// A large frame made the buffer grow: go back to one of the
		// usual size, keeping what is buffered of the next frame.
		d.borrow(d.size0)
	}
	if d.pos == d.end {
		// Nothing is buffered. When the last read filled its buffer,
		// the stream is busy: read on into a large buffer, so a
		// firehose costs one read per buffer, not one per idle buffer
		// and a copy. Otherwise wait for the next frame in the small
		// buffer, which is all an idle connection holds.
		if d.filled && d.size0 > idleSize && len(d.buf) <= shrinkAbove {
			d.start, d.pos, d.end = 0, 0, 0
			if len(d.buf) < d.size0 {
				d.borrow(d.size0)
			}
		} else {
			d.rest()
		}
		if err := d.fill(0); err != nil {
			return nil, err
		}
	}
	// EOLs between frames are heart-beats.
	switch d.buf[d.pos] {
	case '\n':
		d.pos++
		return d.heartbeat(), nil
	case '\r':
		if d.ver < V12 {
			return nil, syntaxErr(CmdInvalid, "carriage return between frames (CRLF needs STOMP 1.2)")
		}
		if err := d.need(d.pos + 2); err != nil {
			return nil, unexpected(err)
		}
		if d.buf[d.pos+1] != '\n' {
			return nil, syntaxErr(CmdInvalid, "carriage return not followed by line feed")
		}
		d.pos += 2
		return d.heartbeat(), nil
	}

	ls, le, err := d.line(d.lim.MaxCommand, LimitCommand)
	if err != nil {
		return nil, err
	}
	cmd := lookupCommandBytes(d.buf[ls:le])
	if cmd == CmdInvalid {
		return nil, syntaxErr(CmdInvalid, "unknown command %s", safetext.Quote(string(d.buf[ls:le]), 64))
	}

	// Header lines up to the blank line.
	d.offs = d.offs[:0]
	hdrStart := d.pos - d.start
	hdrEnd := hdrStart
	for {
		ls, le, err := d.line(d.lim.MaxHeaderLine, LimitHeaderLine)
		if err != nil {
			return nil, err
		}
		if ls == le {
			break
		}
		if len(d.offs) == d.lim.MaxHeaders {
			return nil, &LimitError{Limit: LimitHeaders, Max: d.lim.MaxHeaders}
		}
		colon := bytes.IndexByte(d.buf[ls:le], ':')
		if colon < 0 {
			return nil, syntaxErr(cmd, "header line without a colon")
		}
		if colon == 0 {
			return nil, syntaxErr(cmd, "empty header name")
		}
		base := ls - d.start
		d.offs = append(d.offs, hdrOffsets{k0: base, k1: base + colon, v0: base + colon + 1, v1: le - d.start})
		hdrEnd = le - d.start
	}
	if err := d.checkHeaderBytes(cmd, hdrStart, hdrEnd); err != nil {
		return nil, err
	}

	// The body: content-length bytes then a NUL, or up to the first NUL.
	bodyStart := d.pos - d.start
	var bodyLen int
	if n, ok, err := d.contentLength(cmd); err != nil {
		return nil, err
	} else if ok {
		if n > 0 && !cmd.HasBody() {
			return nil, syntaxErr(cmd, "%s frames cannot carry a body", cmd)
		}
		if bodyStart+n+1 > d.lim.MaxFrame {
			return nil, &LimitError{Limit: LimitFrame, Max: d.lim.MaxFrame}
		}
		if err := d.need(d.start + bodyStart + n + 1); err != nil {
			return nil, unexpected(err)
		}
		if d.buf[d.start+bodyStart+n] != 0 {
			return nil, syntaxErr(cmd, "body of content-length %d is not followed by NUL", n)
		}
		bodyLen = n
	} else {
		if bodyLen, err = d.scanBody(cmd, bodyStart); err != nil {
			return nil, err
		}
	}
	if bodyLen > 0 && !cmd.HasBody() {
		return nil, syntaxErr(cmd, "%s frames cannot carry a body", cmd)
	}
	if bodyStart+bodyLen+1 > d.lim.MaxFrame {
		// The buffer holds MaxFrame+1 bytes: a frame one byte too
		// large fits in it.
		return nil, &LimitError{Limit: LimitFrame, Max: d.lim.MaxFrame}
	}
	d.pos = d.start + bodyStart + bodyLen + 1
	return d.build(cmd, hdrStart, hdrEnd, bodyStart, bodyLen)
}

// checkHeaderBytes rejects a NUL or a CR inside a header line. It scans
// the header section as a whole, and line by line only when the section
// holds a CR, which may be the CR of a CRLF line ending.
func (d *Decoder) checkHeaderBytes(cmd Command, hdrStart, hdrEnd int) error {
	block := d.buf[d.start+hdrStart : d.start+hdrEnd]
	if bytes.IndexByte(block, 0) >= 0 {
		return syntaxErr(cmd, "NUL byte inside a header line")
	}
	if bytes.IndexByte(block, '\r') >= 0 {
		for _, o := range d.offs {
			if bytes.IndexByte(d.buf[d.start+o.k0:d.start+o.v1], '\r') >= 0 {
				return syntaxErr(cmd, "carriage return inside a header line")
			}
		}
	}
	return nil
}

// build assembles the frame. Escaped header text is unescaped in the
// decoder's buffer, which unescaping only shrinks; then one string holds
// every header, so decoding a frame costs one allocation, whatever the
// number of headers.
func (d *Decoder) build(cmd Command, hdrStart, hdrEnd, bodyStart, bodyLen int) (*Frame, error) {
	if d.own {
		return d.buildOwned(cmd, hdrStart, hdrEnd, bodyStart, bodyLen)
	}
	d.hdrs = d.hdrs[:0]
	if len(d.offs) > 0 {
		text := d.buf[d.start+hdrStart : d.start+hdrEnd]
		if cmd.escapes(d.ver) && bytes.IndexByte(text, '\\') >= 0 && !d.keptAsItCame(cmd, text) {
			if err := d.unescapeText(cmd, text, hdrStart); err != nil {
				return nil, err
			}
		}
		block := string(text)
		for _, o := range d.offs {
			d.hdrs = append(d.hdrs, Header{
				Key:   block[o.k0-hdrStart : o.k1-hdrStart],
				Value: block[o.v0-hdrStart : o.v1-hdrStart],
			})
		}
	}
	d.frame.Command = cmd
	d.frame.Headers = d.hdrs
	d.frame.Body = nil
	if bodyLen > 0 {
		b := d.start + bodyStart
		d.frame.Body = d.buf[b : b+bodyLen : b+bodyLen]
	}
	return &d.frame, nil
}

func (d *Decoder) heartbeat() *Frame {
	d.frame = Frame{Command: Heartbeat}
	return &d.frame
}

// contentLength parses the first content-length header, if any. The value
// must be plain decimal digits; it is compared to MaxBody before anything
// is allocated for it.
func (d *Decoder) contentLength(cmd Command) (int, bool, error) {
	for _, o := range d.offs {
		if string(d.buf[d.start+o.k0:d.start+o.k1]) != HdrContentLength {
			continue
		}
		v := d.buf[d.start+o.v0 : d.start+o.v1]
		if len(v) == 0 {
			return 0, false, syntaxErr(cmd, "empty content-length")
		}
		n := 0
		for _, c := range v {
			if c < '0' || c > '9' {
				return 0, false, syntaxErr(cmd, "content-length %s is not a decimal number", safetext.Quote(string(v), 32))
			}
			// Compare n*10 + digit to MaxBody without overflowing.
			digit := int(c - '0')
			if digit > d.lim.MaxBody || n > (d.lim.MaxBody-digit)/10 {
				return 0, false, &LimitError{Limit: LimitBody, Max: d.lim.MaxBody}
			}
			n = n*10 + digit
		}
		return n, true, nil
	}
	return 0, false, nil
}

// scanBody finds the NUL that ends a body without content-length.
func (d *Decoder) scanBody(cmd Command, bodyStart int) (int, error) {
	from := d.start + bodyStart
	for {
		if i := bytes.IndexByte(d.buf[from:d.end], 0); i >= 0 {
			n := from + i - (d.start + bodyStart)
			if n > d.lim.MaxBody {
				return 0, &LimitError{Limit: LimitBody, Max: d.lim.MaxBody}
			}
			return n, nil
		}
		if d.end-(d.start+bodyStart) > d.lim.MaxBody {
			return 0, &LimitError{Limit: LimitBody, Max: d.lim.MaxBody}
		}
		rel := d.end - d.start
		if err := d.fill(0); err != nil {
			return 0, unexpected(err)
		}
		from = d.start + rel
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func lookupCommandBytes(b []byte) Command {
	switch string(b) {
	case "SEND":
		return CmdSend
	case "MESSAGE":
		return CmdMessage
	case "ACK":
		return CmdAck
	case "NACK":
		return CmdNack
	case "RECEIPT":
		return CmdReceipt
	case "SUBSCRIBE":
		return CmdSubscribe
	case "UNSUBSCRIBE":
		return CmdUnsubscribe
	case "BEGIN":
		return CmdBegin
	case "COMMIT":
		return CmdCommit
	case "ABORT":
		return CmdAbort
	case "CONNECT":
		return CmdConnect
	case "STOMP":
		return CmdStomp
	case "CONNECTED":
		return CmdConnected
	case "DISCONNECT":
		return CmdDisconnect
	case "ERROR":
		return CmdError
	}
	return CmdInvalid
}
