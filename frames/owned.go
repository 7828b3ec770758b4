package frames

import (
	"bytes"
	"unsafe"
)

// Frames that DecodeOwned hands out own their memory. One frame costs at
// most two allocations: its header text and body together, and its header
// list. On a busy stream even those are shared: small frames are carved
// out of chunks, so that a consumer taking a million frames a second does
// not make two million small allocations. A chunk starts small after every
// quiet spell and doubles as the stream stays busy, up to these sizes.
const (
	slabFirst  = 1 << 10 // bytes of the first chunk of frame memory
	slabSize   = 8 << 10 // bytes of a chunk once the stream is busy
	slabMax    = 1 << 10 // the largest frame memory carved from a chunk
	hslabFirst = 8       // headers of the first chunk of header lists
	hslabSize  = 64      // headers of a chunk once the stream is busy
	hslabMax   = 16      // the longest header list carved from a chunk
)

// buildOwned is build for DecodeOwned: the header text and the body are
// copied into memory of their own, and the header strings point into its
// first part, which nothing writes to after the copy (the body, the only
// part handed out as bytes, is the rest, capped so that an append cannot
// reach back; so is the header list). Escaped header text is unescaped in
// that copy, which unescaping only shrinks.
func (d *Decoder) buildOwned(cmd Command, hdrStart, hdrEnd, bodyStart, bodyLen int) (*Frame, error) {
	d.frame = Frame{Command: cmd}
	n := 0
	if len(d.offs) > 0 {
		n = hdrEnd - hdrStart
	}
	if n+bodyLen == 0 {
		return &d.frame, nil
	}
	// The frame came in a large buffer: more are flowing, so it may share
	// chunks with them. A frame read into the idle buffer is alone, and
	// gets memory of its own, unless frames are given back (SetLeasing):
	// then its memory is leased too, and the next frame may reuse it.
	busy := len(d.buf) > idleSize || d.leasing
	// One copy from the first header to the end of the body (the blank
	// line between them comes along).
	src := d.buf[d.start+hdrStart : d.start+bodyStart+bodyLen]
	var mem []byte
	if busy && len(src) <= slabMax {
		mem = d.carve(len(src))
		copy(mem, src)
	} else if l := d.leaseFor(busy, len(src)); l != nil {
		mem = l.buf[:len(src):len(src)]
		copy(mem, src)
	} else {
		// make and copy of the same source is the one form the
		// compiler allocates without zeroing.
		mem = make([]byte, len(src))
		copy(mem, src)
	}
	if bodyLen > 0 {
		b := bodyStart - hdrStart
		d.frame.Body = mem[b : b+bodyLen : b+bodyLen]
	}
	if n == 0 {
		return &d.frame, nil
	}
	if cmd.escapes(d.ver) && bytes.IndexByte(mem[:n], '\\') >= 0 && !d.keptAsItCame(cmd, mem[:n]) {
		if err := d.unescapeText(cmd, mem, hdrStart); err != nil {
			return nil, err
		}
	}
	block := unsafe.String(&mem[0], n)
	var hs Headers
	if busy && len(d.offs) <= hslabMax {
		hs = d.carveHeaders(len(d.offs))
	} else {
		hs = make(Headers, len(d.offs))
	}
	for i, o := range d.offs {
		hs[i] = Header{
			Key:   block[o.k0-hdrStart : o.k1-hdrStart],
			Value: block[o.v0-hdrStart : o.v1-hdrStart],
		}
	}
	d.frame.Headers = hs
	return &d.frame, nil
}

// carve returns n bytes of the current chunk, starting a new chunk when it
// has too little left. The frame takes a share of the chunk (Lease).
func (d *Decoder) carve(n int) []byte {
	s := len(d.slab)
	if d.chunk == nil || s+n > cap(d.slab) {
		size := slabFirst
		if c := cap(d.slab); c > 0 {
			size = min(2*c, slabSize)
		}
		size = max(size, n)
		d.dropChunk()
		d.chunk = takeLease(size) // the decoder's share
		d.slab = d.chunk.buf[:0:size]
		s = 0
	}
	d.chunk.refs.Add(1)
	d.lease = d.chunk
	d.slab = d.slab[:s+n]
	return d.slab[s : s+n : s+n]
}

// dropChunk gives back the decoder's share of the chunk it carves from.
func (d *Decoder) dropChunk() {
	if d.chunk != nil {
		d.chunk.Release()
		d.chunk, d.slab = nil, nil
	}
}

// leaseFor returns a leased buffer for a frame of n bytes too large to be
// carved, on a busy stream; nil where the frame gets memory of its own (a
// frame alone, or one beyond the largest lease).
func (d *Decoder) leaseFor(busy bool, n int) *Lease {
	if !busy || !d.leasing {
		return nil
	}
	l := takeLease(n)
	d.lease = l
	return l
}

// SetLeasing says whether the frames DecodeOwned returns are given back
// (their Lease released once used). Then every frame lives in leased
// memory: a frame read alone too, and frames too large to be carved (over
// 1 KiB) in pooled buffers. By default (off) those get memory of their
// own: a pooled buffer is rounded up to a power of two and, never
// released, is collected at that size.
func (d *Decoder) SetLeasing(on bool) { d.leasing = on }

// Lease returns the lease of the memory the frame DecodeOwned returned
// last lives in, and with it that frame's share: nil when the frame's
// memory is its own (without SetLeasing a frame read alone or over 1 KiB;
// any frame larger than 1 MiB). Release
// it once nothing refers to the frame (its headers, its body, any string
// taken from them) any more; or never, and the memory is collected as
// any other.
func (d *Decoder) Lease() *Lease { return d.lease }

// carveHeaders is carve for header lists.
func (d *Decoder) carveHeaders(n int) Headers {
	s := len(d.hslab)
	if s+n > cap(d.hslab) {
		size := hslabFirst
		if c := cap(d.hslab); c > 0 {
			size = min(2*c, hslabSize)
		}
		d.hslab = make(Headers, 0, max(size, n))
		s = 0
	}
	d.hslab = d.hslab[:s+n]
	return d.hslab[s : s+n : s+n]
}

// unescapeText unescapes, in text (the frame's header text from its first
// header on: the decoder's buffer, or a frame's own copy), every header
// name and value that holds a backslash, and moves the end of each in
// d.offs to where its unescaped text ends.
func (d *Decoder) unescapeText(cmd Command, mem []byte, hdrStart int) error {
	var err error
	for i := range d.offs {
		o := &d.offs[i]
		if o.k1, err = d.unescapeSpan(cmd, mem[o.k0-hdrStart:o.k1-hdrStart], o.k0); err != nil {
			return err
		}
		if o.v1, err = d.unescapeSpan(cmd, mem[o.v0-hdrStart:o.v1-hdrStart], o.v0); err != nil {
			return err
		}
	}
	return nil
}

// unescapeSpan unescapes text, which starts at offset from, in place and
// returns the offset where it now ends.
func (d *Decoder) unescapeSpan(cmd Command, text []byte, from int) (int, error) {
	p := bytes.IndexByte(text, '\\')
	if p < 0 {
		return from + len(text), nil
	}
	w, err := unescapeInPlace(text, p, d.ver, cmd)
	return from + w, err
}
