package bench

import "sync/atomic"

// idSet remembers the message-ids a consumer has had lately, so that a
// broker's duplicate delivery (a redelivery, a copy: the same message-id)
// is counted apart and not as a message: otherwise it would inflate the
// rate and could stand in for a lost message. It keeps 64-bit FNV-1a
// hashes of the last idWindow ids (up to twice as many) in two small
// open-addressing tables, the current one and the one before, which stay
// in the CPU's caches and are reused, not allocated, as the window moves:
// it allocates nothing per message and costs each side the same (a hash
// of the id and two probes). A copy that comes idWindow messages or
// more after its original may not be recognised: a broker's copies and
// redeliveries come soon after, and the scenarios that use it (pub→sub,
// the round trips, ack auto) have no other source of them. Two ids with
// the same hash would count as one, about one chance in 10^15 per
// message.
type idSet struct {
	cur, prev []uint64 // 0: empty
	n         int      // ids in cur
}

// idWindow is how many ids a table takes before it becomes the previous
// one; a table has twice as many slots.
const idWindow = 2048

// newIDSet returns an empty set.
func newIDSet() *idSet {
	return &idSet{cur: make([]uint64, 2*idWindow), prev: make([]uint64, 2*idWindow)}
}

// hashID is FNV-1a of id, never 0.
func hashID[T ~string | ~[]byte](id T) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// add records the id of hash h and says whether it is new.
func (s *idSet) add(h uint64) bool {
	if has(s.prev, h) || !insert(s.cur, h) {
		return false
	}
	if s.n++; s.n == idWindow {
		s.cur, s.prev = s.prev, s.cur
		clear(s.cur)
		s.n = 0
	}
	return true
}

// has says whether table t holds h.
func has(t []uint64, h uint64) bool {
	mask := uint64(len(t) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// insert puts h in table t (never more than half full) unless it is
// there, and says whether it was not.
func insert(t []uint64, h uint64) bool {
	mask := uint64(len(t) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t[i] {
		case h:
			return false
		case 0:
			t[i] = h
			return true
		}
	}
}

// addBytes and addString record a message-id; see add. An empty id (a
// broker that sends none) is always new: nothing tells its copies apart.
func (s *idSet) addBytes(id []byte) bool {
	return len(id) == 0 || s.add(hashID(id))
}

func (s *idSet) addString(id string) bool {
	return len(id) == 0 || s.add(hashID(id))
}

// dedup is a consumer's id set and the duplicate count it adds to (one
// count may be shared by several consumers, each with its own set).
type dedup struct {
	set  *idSet
	dups *atomic.Int64
}
