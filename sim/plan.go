package sim

import (
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// connFaults is a plan instantiated for one connection.
type connFaults struct {
	index  int
	start  time.Time
	log    *eventLog
	accept *Fault       // the first accept fault that applies, if any
	bytes  []*byteRule  // byte faults, in plan order
	filter *frameFilter // nil when no frame fault applies
	// ticks are the times at which filter.tick must be called, one for
	// each SendError that triggers by time alone.
	ticks []time.Time
}

// forConn instantiates the faults of p that apply to connection index.
// It returns nil when none does.
func (p Plan) forConn(index int, start time.Time, log *eventLog) *connFaults {
	cf := &connFaults{index: index, start: start, log: log}
	applies := false
	for i := range p {
		f := &p[i]
		if f.Conn != 0 && f.Conn != index {
			continue
		}
		applies = true
		switch {
		case f.isAcceptFault():
			if cf.accept == nil {
				cf.accept = f
			}
		case f.isFrameFault():
			if cf.filter == nil {
				cf.filter = newFrameFilter(cf)
			}
			if at := cf.filter.add(f, start); !at.IsZero() {
				cf.ticks = append(cf.ticks, at)
			}
		default:
			cf.bytes = append(cf.bytes, newByteRule(f, index, start))
		}
	}
	if !applies {
		return nil
	}
	return cf
}

// newRand returns the fault's generator for connection index.
func newRand(f *Fault, index int) *rand.Rand {
	return rand.New(rand.NewPCG(f.Seed, uint64(index)))
}

// record logs an event of f on this connection.
func (cf *connFaults) record(f *Fault, e FaultEvent) {
	e.Fault, e.Kind, e.Conn = f.Name, f.Kind, cf.index
	cf.log.add(e)
}

// eventLogSize bounds a FaultEvents log; older events are dropped.
const eventLogSize = 4096

// delaysPerFrame reports whether a DelayWrites fault acts on the
// connection's ToClient stream: the broker and the proxy then write each
// frame with a write call of its own, so that the waits (one per write)
// fall on the same frames on every run rather than on batches that depend
// on timing.
func (cf *connFaults) delaysPerFrame() bool {
	if cf == nil {
		return false
	}
	for _, r := range cf.bytes {
		if r.f.Kind == DelayWrites && r.f.Dir == ToClient {
			return true
		}
	}
	return false
}

// eventLog is a bounded, concurrency-safe log of fault events.
type eventLog struct {
	hook   func(FaultEvent) // set before any event, called outside mu
	mu     sync.Mutex
	order  map[string]int // place of each fault, by name: the plan's, then injected ones
	events []FaultEvent
	next   int
}

// setPlan records the plan order that snapshot sorts by.
func (l *eventLog) setPlan(p Plan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.order = make(map[string]int, len(p))
	for i := range p {
		l.order[p[i].Name] = i
	}
}

// addName places an injected fault after every fault known so far.
func (l *eventLog) addName(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.order[name] = len(l.order)
}

func (l *eventLog) add(e FaultEvent) {
	l.mu.Lock()
	if len(l.events) < eventLogSize {
		l.events = append(l.events, e)
	} else {
		l.events[l.next] = e
		l.next = (l.next + 1) % eventLogSize
	}
	l.mu.Unlock()
	if l.hook != nil {
		l.hook(e)
	}
}

// snapshot returns the events in an order that does not depend on how
// goroutines were scheduled: by connection number, then by the fault's
// place in the plan, then in the order that fault acted on that
// connection (each fault acts in one goroutine of the connection at a
// time, in stream order).
func (l *eventLog) snapshot() []FaultEvent {
	l.mu.Lock()
	out := make([]FaultEvent, 0, len(l.events))
	out = append(out, l.events[l.next:]...)
	out = append(out, l.events[:l.next]...)
	place := make([]int, len(out))
	for i := range out {
		place[i] = l.order[out[i].Fault]
	}
	l.mu.Unlock()
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := idx[i], idx[j]
		if out[a].Conn != out[b].Conn {
			return out[a].Conn < out[b].Conn
		}
		return place[a] < place[b]
	})
	sorted := make([]FaultEvent, len(out))
	for i, k := range idx {
		sorted[i] = out[k]
	}
	return sorted
}
