package sim

import (
	"math/rand/v2"
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
			cf.filter.add(f)
		default:
			cf.bytes = append(cf.bytes, &byteRule{f: f, rng: newRand(f, index)})
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

// elapsed reports whether f's After has passed on this connection.
func (cf *connFaults) elapsed(f *Fault) bool {
	return f.After == 0 || time.Since(cf.start) >= f.After
}

// eventLogSize bounds a FaultEvents log; older events are dropped.
const eventLogSize = 4096

// eventLog is a bounded, concurrency-safe log of fault events.
type eventLog struct {
	hook   func(FaultEvent) // set before any event, called outside mu
	mu     sync.Mutex
	events []FaultEvent
	next   int
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

// snapshot returns the events, oldest first.
func (l *eventLog) snapshot() []FaultEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]FaultEvent, 0, len(l.events))
	out = append(out, l.events[l.next:]...)
	return append(out, l.events[:l.next]...)
}
