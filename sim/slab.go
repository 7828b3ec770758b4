package sim

import (
	"strconv"

	"github.com/stompactor/stompactor/frames"
)

// Slab sizes: frames, headers and body bytes that a reader carves copies
// from, and messages and ids that the owner carves. Carving from slabs
// turns several allocations per message into a fraction of one; a slab
// lives as long as any frame or message carved from it.
const (
	frameSlab   = 128
	headerSlab  = 512
	bodySlab    = 64 << 10
	maxSlabBody = 4 << 10 // larger bodies get an allocation of their own
	msgSlab     = 256
)

// frameSlabs copies decoded frames out of the decoder's buffers.
type frameSlabs struct {
	frames []frames.Frame
	fi     int // next free frame; indexes spare the write barriers of reslicing
	hdrs   []frames.Header
	hi     int
	body   []byte
}

// keep returns a copy of f that stays valid after the next Decode. The
// decoder's header strings are immutable Go strings, so only the Headers
// slice and the body, which point into the decoder's reused memory, are
// copied.
func (s *frameSlabs) keep(f *frames.Frame) *frames.Frame {
	if s.fi == len(s.frames) {
		s.frames, s.fi = make([]frames.Frame, frameSlab), 0
	}
	out := &s.frames[s.fi]
	s.fi++
	out.Command = f.Command
	if n := len(f.Headers); n > 0 {
		if len(s.hdrs)-s.hi < n {
			s.hdrs, s.hi = make([]frames.Header, max(headerSlab, n)), 0
		}
		out.Headers = s.hdrs[s.hi : s.hi+n : s.hi+n]
		s.hi += n
		copy(out.Headers, f.Headers)
	}
	switch n := len(f.Body); {
	case f.Body == nil:
	case n > maxSlabBody:
		out.Body = append(make([]byte, 0, n), f.Body...)
	default:
		if cap(s.body)-len(s.body) < n {
			s.body = make([]byte, 0, bodySlab)
		}
		start := len(s.body)
		s.body = append(s.body, f.Body...)
		out.Body = s.body[start:len(s.body):len(s.body)]
	}
	return out
}

// msgSlabs hands out messages with their ids.
type msgSlabs struct {
	msgs []message
	mi   int
	ids  []string
	ii   int
	next uint64
}

// newMessage returns a zeroed message with the next id ("m-1", "m-2"...).
func (s *msgSlabs) newMessage() *message {
	if s.mi == len(s.msgs) {
		s.msgs, s.mi = make([]message, msgSlab), 0
	}
	m := &s.msgs[s.mi]
	s.mi++
	if s.ii == len(s.ids) {
		s.fillIDs()
	}
	m.id = s.ids[s.ii]
	s.ii++
	return m
}

// fillIDs formats the next batch of ids into one string.
func (s *msgSlabs) fillIDs() {
	buf := make([]byte, 0, msgSlab*12)
	ends := make([]int, msgSlab)
	for i := range ends {
		s.next++
		buf = append(buf, "m-"...)
		buf = strconv.AppendUint(buf, s.next, 10)
		ends[i] = len(buf)
	}
	all := string(buf)
	s.ids, s.ii = make([]string, msgSlab), 0
	start := 0
	for i, end := range ends {
		s.ids[i] = all[start:end]
		start = end
	}
}
