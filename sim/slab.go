package sim

import (
	"strconv"

	"github.com/stompactor/stompactor/frames"
)

// Slab sizes: the frames (each with room for the message it may become),
// headers and body bytes that a reader carves copies from, and the message
// ids that the owner carves. Carving from slabs turns several allocations
// per message into a fraction of one; a slab lives as long as anything
// carved from it.
const (
	frameSlab   = 128
	headerSlab  = 512
	bodySlab    = 64 << 10
	maxSlabBody = 4 << 10 // larger bodies get an allocation of their own
	idSlab      = 256
)

// frameSlabs copies decoded frames out of the decoder's buffers.
type frameSlabs struct {
	msgs []message
	mi   int // next free entry; indexes spare the write barriers of reslicing
	hdrs []frames.Header
	hi   int
	body []byte
}

// keep returns a copy of f that stays valid after the next Decode, inside
// a message that the owner fills in if the frame is a SEND. The decoder's
// header strings are immutable Go strings, so only the Headers slice and
// the body, which point into the decoder's reused memory, are copied.
func (s *frameSlabs) keep(f *frames.Frame) *message {
	if s.mi == len(s.msgs) {
		s.msgs, s.mi = make([]message, frameSlab), 0
	}
	m := &s.msgs[s.mi]
	s.mi++
	out := &m.frame
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
	return m
}

// idSlabs hands out message ids, many formatted into one string at a time.
type idSlabs struct {
	ids  []string
	ii   int
	next uint64
}

// nextID returns the next message id ("m-1", "m-2"...).
func (s *idSlabs) nextID() string {
	if s.ii == len(s.ids) {
		s.fill()
	}
	id := s.ids[s.ii]
	s.ii++
	return id
}

// fill formats the next batch of ids into one string.
func (s *idSlabs) fill() {
	buf := make([]byte, 0, idSlab*12)
	ends := make([]int, idSlab)
	for i := range ends {
		s.next++
		buf = append(buf, "m-"...)
		buf = strconv.AppendUint(buf, s.next, 10)
		ends[i] = len(buf)
	}
	all := string(buf)
	s.ids, s.ii = make([]string, idSlab), 0
	start := 0
	for i, end := range ends {
		s.ids[i] = all[start:end]
		start = end
	}
}
