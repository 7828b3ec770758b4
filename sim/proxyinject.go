package sim

import (
	"time"
)

// Inject puts fault f into effect while the proxy runs, as Broker.Inject
// does on a broker: for connections accepted later with triggers counted
// from their accept, and at once on the open connection Conn names (every
// one when Conn is 0) with triggers counted from the Inject. The same
// kinds are refused. On an open connection a DelayWrites to the client acts
// on each write call, and a StopReading holds the client's next bytes. The
// proxy watches every connection's bytes and frames, so the offsets in the
// events of an injected fault count from the accept. Inject returns
// ErrClosed once the proxy is closed.
func (p *Proxy) Inject(f Fault) error {
	p.injMu.Lock()
	defer p.injMu.Unlock()
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	live := p.openConns(f.Conn)
	if err := checkInject(f, p.names, int(p.accepted.Load()), len(live) > 0 || p.pending[f.Conn]); err != nil {
		return err
	}
	p.names[f.Name] = true
	p.faults.addName(f.Name)
	p.plan = append(p.plan[:len(p.plan):len(p.plan)], f)
	if f.isAcceptFault() {
		return nil
	}
	now := time.Now()
	for _, pc := range live {
		fc := f
		pc.inject(&fc, now)
	}
	return nil
}

// Clear ends the planned or injected fault named name from then on, as
// Broker.Clear does on a broker.
func (p *Proxy) Clear(name string) error {
	p.injMu.Lock()
	defer p.injMu.Unlock()
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	next, err := planWithout(p.plan, name, p.names)
	if err != nil {
		return err
	}
	p.plan = next
	for _, pc := range p.openConns(0) {
		pc.filter.remove(name)
		pc.fc.removeRule(name)
	}
	close(p.cleared)
	p.cleared = make(chan struct{})
	return nil
}

// openConns returns the registered connections numbered n, or all of them
// when n is 0.
func (p *Proxy) openConns(n int) []*proxyConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*proxyConn
	for pc := range p.conns {
		if n == 0 || pc.cf.index == n {
			out = append(out, pc)
		}
	}
	return out
}

// inject puts f into effect on the running connection, its triggers
// counted from now. The caller holds the proxy's injMu.
func (pc *proxyConn) inject(f *Fault, now time.Time) {
	if f.isFrameFault() {
		if at := pc.filter.add(f, now); !at.IsZero() {
			pc.p.wg.Add(1)
			go func() { defer pc.p.wg.Done(); pc.tickAt(at) }()
		}
		return
	}
	if pc.fc.addRule(newByteRule(f, pc.cf.index, now)) {
		pc.fc.kick() // as the broker does (see conn.inject)
	}
}

// stall holds an accepted connection for a StallAccept fault until its
// Delay has passed or it is cleared. It returns false when the proxy closes.
func (p *Proxy) stall(f *Fault, start time.Time) bool {
	var expired <-chan time.Time
	if f.Delay > 0 {
		t := time.NewTimer(time.Until(start.Add(f.Delay)))
		defer t.Stop()
		expired = t.C
	}
	for {
		p.injMu.Lock()
		wake, active := p.cleared, false
		for i := range p.plan {
			active = active || p.plan[i].Name == f.Name
		}
		p.injMu.Unlock()
		if !active {
			return true
		}
		select {
		case <-expired:
			return true
		case <-wake:
		case <-p.ctx.Done():
			return false
		}
	}
}
