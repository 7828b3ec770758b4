package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/stompactor/stompactor/sim"
)

// flowPrinter reports the simulator's flow gate (publishers paused and
// resumed) on w from a goroutine of its own: the hook runs on the broker's
// owner goroutine, which must never wait for a slow stderr. Past
// flowQueueSize reports waiting to be printed, the oldest are dropped (the
// last line printed says the gate's state now), and stop says how many.
type flowPrinter struct {
	w       io.Writer
	ch      chan sim.FlowEvent
	done    chan struct{}
	mu      sync.Mutex
	stopped bool
	dropped int
}

const flowQueueSize = 64

func newFlowPrinter(w io.Writer) *flowPrinter {
	p := &flowPrinter{w: w, ch: make(chan sim.FlowEvent, flowQueueSize), done: make(chan struct{})}
	go p.loop()
	return p
}

// hook is the sim flow hook: it never blocks.
func (p *flowPrinter) hook(e sim.FlowEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	for {
		select {
		case p.ch <- e:
			return
		default:
		}
		select {
		case <-p.ch: // the oldest goes
			p.dropped++
		default:
		}
	}
}

func (p *flowPrinter) loop() {
	defer close(p.done)
	for e := range p.ch {
		if e.Paused {
			fmt.Fprintf(p.w, "stomp: paused publishers: %d messages queued (--max-queued %d)\n", e.Queued, e.MaxQueued)
		} else {
			fmt.Fprintf(p.w, "stomp: resumed publishers: %d messages queued\n", e.Queued)
		}
	}
}

// stop ends the printer, waiting at most stopWait for what is queued to be
// printed (a stderr nobody reads may never take it).
func (p *flowPrinter) stop() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.ch)
	}
	p.mu.Unlock()
	if printed(p.done) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.dropped > 0 {
			fmt.Fprintf(p.w, "stomp: %d flow reports were not printed (stderr was slow)\n", p.dropped)
		}
	}
}
