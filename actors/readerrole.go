package actors

import (
	"context"
	"sync"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// Who reads a connection. Its reader's goroutines do (readerloop.go), one
// at a time, or the engine's poller watches the socket for them; and a
// caller waiting in Receive (pull.go) may read it on its own goroutine.
// A reader goroutine that finds the connection idle while callers wait in
// Receive leaves the reading vacant instead of waiting for the socket
// itself; a caller then takes it (claim), reads until its subscription
// has a message, and leaves it vacant again (release). While callers come
// back, no goroutine of the engine touches the connection. If none comes
// back for reclaimAfter, the reader takes the reading back on a goroutine
// (reclaim) and goes on as before: frames for other subscriptions,
// receipts and heart-beats wait at most that long while the reading is
// vacant.
//
// Only plain TCP connections (those the reader can wait on, sockWait) are
// read this way.

// readerRole says who reads the connection now.
type readerRole uint8

const (
	roleReader readerRole = iota // a reader goroutine, or the poller for it
	roleVacant                   // nobody: the reclaim timer is armed
	roleCaller                   // a caller in Receive
	roleEnded                    // the reader stopped
)

// reclaimAfter is how long the reading may stay vacant before the reader
// takes it back.
const reclaimAfter = 5 * time.Millisecond

// pullRole is who reads a connection whose reading callers may take, and
// the watch over their contexts; a reader makes it the first time it
// leaves the reading to them (a connection with no pull subscription
// never does).
type pullRole struct {
	mu         sync.Mutex
	role       readerRole
	armed      bool   // the reclaim timer is armed
	claims     uint64 // readings claimed by callers so far
	claimsSeen uint64 // claims when the timer was armed
	timer      *time.Timer
	// The callers' context whose end cuts their wait short: watched by
	// its Done channel (comparable, where contexts need not be), with
	// one registration for as long as callers pass it.
	watched     <-chan struct{}
	unwatch     func() bool
	watchGen    uint64
	inWait      bool // a caller waits for the socket
	interrupted bool // its wait was cut short: the deadline is to clear
}

// role returns r's pullRole, made if r has none.
func (r *reader) role() *pullRole {
	if p := r.pr.Load(); p != nil {
		return p
	}
	p := &pullRole{}
	if r.pr.CompareAndSwap(nil, p) {
		return p
	}
	return r.pr.Load() // the reader ended meanwhile (endRole)
}

// vacate leaves the reading vacant, when callers wait in Receive; the
// goroutine that calls it (which holds the reading) then ends. The vacant
// reading keeps the connection's wait group count that goroutine held.
func (r *reader) vacate() bool {
	if r.wait == nil {
		return false
	}
	if rs := r.c.routes.Load(); rs == nil || !rs.pullCallers() {
		return false
	}
	p := r.role()
	p.mu.Lock()
	if p.role != roleReader {
		p.mu.Unlock()
		return false
	}
	p.role = roleVacant
	r.c.wg.Add(1)
	r.armReclaimLocked(p)
	p.mu.Unlock()
	r.tellPullers()
	return true
}

// vacant reports whether the reading is free to claim.
func (r *reader) vacant() bool {
	p := r.pr.Load()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.role == roleVacant
}

// claim takes the vacant reading for a caller. The deadline a reader
// goroutine's settled wait left armed goes first: from now on the only
// deadline on the socket is a cut's (cutWaitLocked), set and cleared under
// p.mu.
func (r *reader) claim() bool {
	p := r.pr.Load()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleVacant {
		return false
	}
	p.role = roleCaller
	p.claims++
	r.wait.disarm()
	return true
}

// tellPullers wakes a waiting caller of each pull subscription, which
// may now claim the reading.
func (r *reader) tellPullers() {
	rs := r.c.routes.Load()
	if rs == nil {
		return
	}
	for _, rt := range rs.pulls {
		if rt.pull.waiting.Load() > 0 {
			rt.pull.signal()
		}
	}
}

// armReclaimLocked arms the reclaim timer, if it is not. p.mu is held.
func (r *reader) armReclaimLocked(p *pullRole) {
	if p.armed {
		return
	}
	p.armed = true
	p.claimsSeen = p.claims
	if p.timer == nil {
		p.timer = time.AfterFunc(reclaimAfter, r.reclaim)
	} else {
		p.timer.Reset(reclaimAfter)
	}
}

// reclaim runs when the reclaim timer fires: a reading left vacant and
// not claimed since the timer was armed goes back to the reader, on this
// goroutine; one that callers claimed meanwhile is looked at again later.
func (r *reader) reclaim() {
	p := r.pr.Load()
	p.mu.Lock()
	p.armed = false
	switch {
	case p.role == roleCaller, p.role == roleVacant && p.claims != p.claimsSeen:
		// Callers come back: look again later. The timer stays armed
		// from here, while callers come and go, rather than being armed
		// again as one leaves: a timer armed earlier than the others
		// wakes an idle thread to wait for it, which at a round trip of
		// a millisecond cost a fifth of the client's CPU.
		r.armReclaimLocked(p)
		p.mu.Unlock()
		return
	case p.role != roleVacant:
		p.mu.Unlock()
		return // the reader has it, or it stopped
	}
	p.role = roleReader
	p.mu.Unlock()
	r.resume() // the vacant reading's wait group count passes to it
}

// endRole ends the reading as the reader stops: a vacant reading's count
// is given back here, a caller's when it leaves.
func (r *reader) endRole() {
	if r.pr.CompareAndSwap(nil, &pullRole{role: roleEnded}) {
		return // never left to callers
	}
	p := r.pr.Load()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.unwatch != nil {
		p.unwatch()
		p.watched, p.unwatch = nil, nil
	}
	if p.role == roleVacant {
		r.c.wg.Done()
	}
	p.role = roleEnded
}

// reached: the pull subscription has a message, or it ended.
func (rt *route) reached() bool {
	select {
	case <-rt.done:
		return true
	default:
	}
	return !rt.pull.empty()
}

// readFor reads the connection on the caller's goroutine, which claimed
// it, until rt has a message (or ended), ctx ends or the connection ends; then it
// leaves the reading vacant, or to a reader goroutine when bytes are left
// to decode.
func (r *reader) readFor(ctx context.Context, rt *route) {
	dec := takeDecoder(handingOn{r}, r.version, r.limits)
	r.caller = rt
reading:
	for !rt.reached() {
		if r.waitFor(ctx) != nil {
			break // ctx ended
		}
		r.idle = false // read what woke it
		switch r.run(dec, r.l.gen, false, true) {
		case runEnded:
			// The connection ended (the session was told): nothing more
			// is read.
			r.caller = nil
			dec.Reset(nil, 0, frames.Limits{})
			decoders.Put(dec)
			r.leave(roleEnded)
			return
		case runHandedOff:
			return // a reader goroutine has the reading and the decoder
		case runCut:
			// ctx ended, or rt did, in the middle of a read: what was
			// read of a frame stays in dec for whoever reads next.
			break reading
		}
	}
	r.caller = nil
	if dec.Pending() || !r.drained() {
		// More may be waiting, for other subscriptions: a reader
		// goroutine decodes it now rather than at the next claim.
		if r.leave(roleReader) {
			go r.readPending(dec)
			return
		}
	} else {
		r.leave(roleVacant)
	}
	dec.Reset(nil, 0, frames.Limits{})
	decoders.Put(dec)
}

// handOff passes the reading to a reader goroutine in the middle of a
// caller's read: f, decoded on the caller's goroutine, waits for room in
// a full queue, and that wait is not the caller's (its Receive must end
// with its context). If the reader stopped meanwhile, nothing more is
// read (leave gave the count back).
func (r *reader) handOff(gen uint64, f frames.Frame, dec *frames.Decoder) {
	r.caller = nil
	if !r.leave(roleReader) {
		r.c.stats.Dropped.Add(1) // f, which nobody will deliver
		r.handOn()               // what was decoded before
		dec.Reset(nil, 0, frames.Limits{})
		decoders.Put(dec)
		return
	}
	go r.deliverThenRead(gen, f, dec)
}

// deliverThenRead delivers f, waiting for room as a reader does, and
// reads on.
func (r *reader) deliverThenRead(gen uint64, f frames.Frame, dec *frames.Decoder) {
	defer r.c.wg.Done()
	if r.deliver(gen, &f, dec.Lease()) != delivered {
		r.handOn() // what was decoded before
		dec.Reset(nil, 0, frames.Limits{})
		decoders.Put(dec)
		return
	}
	r.readOn(dec)
}

// readPending reads on with dec, which holds bytes not yet decoded.
func (r *reader) readPending(dec *frames.Decoder) {
	defer r.c.wg.Done()
	r.readOn(dec)
}

// leave gives up a caller's reading: to next (vacant, a reader goroutine,
// or ended). It reports false when the reader stopped meanwhile, the
// count then given back.
func (r *reader) leave(next readerRole) bool {
	p := r.pr.Load()
	p.mu.Lock()
	if p.role == roleEnded || next == roleEnded {
		p.role = roleEnded
		p.mu.Unlock()
		r.c.wg.Done()
		return false
	}
	p.role = next
	if p.interrupted {
		// Cut short after its last read: the deadline is not the next
		// reader's.
		p.interrupted = false
		r.wait.clear()
	}
	if next == roleVacant {
		r.armReclaimLocked(p)
	}
	p.mu.Unlock()
	if next == roleVacant {
		r.tellPullers()
	}
	return true
}

// waitFor waits on the caller's goroutine until the socket is readable,
// or ctx ends (its error is returned).
func (r *reader) waitFor(ctx context.Context) error {
	p := r.pr.Load()
	p.mu.Lock()
	if err := ctx.Err(); err != nil {
		p.mu.Unlock()
		return err
	}
	if done := ctx.Done(); done != p.watched {
		// Another context than the last caller's: that one's end must
		// not cut this caller's reading short.
		if p.unwatch != nil {
			p.unwatch()
			p.unwatch = nil
		}
		p.watchGen++
		p.watched = done
		if done != nil {
			gen := p.watchGen
			p.unwatch = context.AfterFunc(ctx, func() { r.ctxEnded(p, gen) })
		}
	}
	p.inWait = true
	p.mu.Unlock()
	r.wait.waitReadable()
	p.mu.Lock()
	p.inWait = false
	if p.interrupted {
		// Cleared with the flag, under p.mu: a cut that comes next
		// sets both again.
		p.interrupted = false
		r.wait.clear()
	}
	p.mu.Unlock()
	return ctx.Err()
}

// ctxEnded interrupts the wait of a caller whose context (of watch
// generation gen) ended.
func (r *reader) ctxEnded(p *pullRole, gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen != p.watchGen {
		return
	}
	p.watched, p.unwatch = nil, nil
	r.cutWaitLocked(p)
}

// wakeCaller cuts short the wait for the socket of a caller that reads,
// if one does: its subscription may have ended.
func (r *reader) wakeCaller() {
	p := r.pr.Load()
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r.cutWaitLocked(p)
}

// cutWaitLocked cuts short the reading of a caller, if one reads: its
// wait for the socket, or a read in the middle of a frame (which a broker
// that stops half-way through would otherwise hold for ever), with a
// deadline in the past; waitFor, or leave, clears it. p.mu is held.
func (r *reader) cutWaitLocked(p *pullRole) {
	if p.role == roleCaller && !p.interrupted {
		r.wait.interrupt()
		p.interrupted = true
	}
}
