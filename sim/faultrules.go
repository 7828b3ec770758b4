package sim

import (
	"sync"
	"sync/atomic"
	"time"
)

// byteRule is one byte fault on one connection.
type byteRule struct {
	f     *Fault
	rng   interface{ IntN(int) int }
	start time.Time     // what After counts from: the accept, or the Inject
	after int64         // the stream offset AfterBytes counts to
	fired bool          // one-shot faults (stalls, corruption) have acted
	left  int           // bytes left in the current RandomChunks/SplitWrites piece
	clear chan struct{} // closed when the fault is cleared
}

func newByteRule(f *Fault, index int, start time.Time) *byteRule {
	return &byteRule{f: f, rng: newRand(f, index), start: start, clear: make(chan struct{})}
}

// elapsed reports whether the fault's After has passed.
func (r *byteRule) elapsed() bool {
	return r.f.After == 0 || time.Since(r.start) >= r.f.After
}

// ended reports whether the fault has been cleared.
func (r *byteRule) ended() bool {
	select {
	case <-r.clear:
		return true
	default:
		return false
	}
}

// ruleList is the byte rules of one stream. The goroutine using the
// stream loads it once per call; adding and removing replace the slice,
// so a rule it loaded stays valid (a removed rule's clear channel is
// closed, which ends any wait of it).
type ruleList struct {
	mu sync.Mutex // serializes add and remove
	p  atomic.Pointer[[]*byteRule]
}

func (l *ruleList) load() []*byteRule {
	if p := l.p.Load(); p != nil {
		return *p
	}
	return nil
}

func (l *ruleList) add(r *byteRule) {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := append(append([]*byteRule(nil), l.load()...), r)
	l.p.Store(&next)
}

// remove takes out the rule of the fault named name, if there is one.
func (l *ruleList) remove(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.load()
	next := make([]*byteRule, 0, len(cur))
	found := false
	for _, r := range cur {
		if r.f.Name == name {
			found = true
			close(r.clear)
			continue
		}
		next = append(next, r)
	}
	if found {
		l.p.Store(&next)
	}
	return found
}

// addRule puts a byte fault into effect on the stream it acts on, its
// AfterBytes counted from the bytes that have passed so far. It reports
// whether the rule acts on reads (the client's stream), where a read
// already waiting must be woken for it (see kick).
func (c *faultConn) addRule(r *byteRule) (reads bool) {
	counted := r.f.Dir
	if r.f.Kind == StopReading {
		counted = ToServer
	}
	r.after = r.f.AfterBytes + c.count(counted).Load()
	switch f := r.f; {
	case f.Kind == StopReading:
		c.readRules.add(r)
		if f.After > 0 {
			c.alarmAt(r)
		}
		return true
	case f.Kind == StallWrites:
		c.writeRules.add(r)
	case f.Kind == DropConn && f.AfterBytes == 0:
		c.timedDrops.add(r)
		c.dropAfter(r)
	case f.Dir == ToServer:
		c.readRules.add(r)
		return true
	default:
		c.writeRules.add(r)
	}
	return false
}

// removeRule ends the byte fault named name: its rule leaves the stream's
// list and a stall or wait of it in progress ends. It reports whether the
// fault was in effect here.
func (c *faultConn) removeRule(name string) bool {
	a, b, d := c.readRules.remove(name), c.writeRules.remove(name), c.timedDrops.remove(name)
	return a || b || d
}

// dropAfter arms a timed DropConn.
func (c *faultConn) dropAfter(r *byteRule) {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	wait := r.f.After - time.Since(r.start)
	c.timers = append(c.timers, time.AfterFunc(max(wait, 0), func() {
		if r.ended() {
			return
		}
		// The event says how far the stream had got when it was cut.
		c.cf.record(r.f, FaultEvent{Dir: r.f.Dir, Offset: c.count(r.f.Dir).Load()})
		_ = c.Close()
	}))
}

// alarmAt arms a StopReading whose After may pass while a Read is already
// waiting for the client: at After it wakes that Read (with a past read
// deadline) so the alarm holds the client's next bytes instead of reading
// them. Read then restores the caller's deadline.
func (c *faultConn) alarmAt(r *byteRule) {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	wait := r.f.After - time.Since(r.start)
	c.timers = append(c.timers, time.AfterFunc(max(wait, 0), func() {
		if r.ended() {
			return
		}
		c.dlMu.Lock()
		defer c.dlMu.Unlock()
		c.kicked = true
		_ = c.Conn.SetReadDeadline(time.Now())
	}))
}
