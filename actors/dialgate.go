package actors

import (
	"strconv"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// The dial gate bounds the automatic reconnect attempts of an engine that
// run at once (EngineOptions.MaxConcurrentConnects): the attempts a
// Reconnect policy makes after an established connection was lost. Such
// an attempt holds one of its slots from the dial (and the proxy, TLS and
// WebSocket handshakes the dialer runs) until CONNECTED or its failure.
// Thousands of connections that lose one broker together then come back
// a bounded number at a time, in the order their attempts began, rather
// than all dialing and handshaking at once (the broker's accept backlog
// overflows, TLS handshakes starve each other of CPU, and slow attempts
// time out and start over). The attempts of a Connect the program calls
// (its failover and retries included) pass by the gate: the program chose
// that concurrency, and its Timeout is for the broker, not for a line.
//
// It costs nothing between attempts: its state lives in the engine and in
// the attempt (dialAttempt). An attempt waits for its slot before it
// starts (its connect timeout runs from the slot), on a goroutine of its
// own that ends with the wait; the session abandoning the attempt
// (Disconnect, Interrupt, Close) ends the wait.

// DefaultMaxConcurrentConnects is the limit of an engine whose options
// leave MaxConcurrentConnects at 0.
const DefaultMaxConcurrentConnects = 64

// dialGate is an engine's counting semaphore of connection attempts, with
// a first-in first-out queue of the attempts that wait. A nil gate (no
// limit) lets every attempt through at once.
type dialGate struct {
	mu         sync.Mutex
	limit      int
	inFlight   int
	waiting    int
	head, tail *dialAttempt // the queue, linked through the attempts
}

// slotState is where an attempt stands with the gate (guarded by its mu).
type slotState uint8

const (
	slotNone      slotState = iota // not at the gate yet
	slotQueued                     // waiting in the queue
	slotHeld                       // holding a slot
	slotReturned                   // its slot given back
	slotWithdrawn                  // left the queue without a slot
)

func newDialGate(limit int) *dialGate {
	if limit < 0 {
		return nil
	}
	if limit == 0 {
		limit = DefaultMaxConcurrentConnects
	}
	return &dialGate{limit: limit}
}

// enter gives a a slot at once when one is free and no attempt waits for
// one (true); otherwise it queues a, and ahead is how many attempts wait
// before it. The session calls it as it starts the attempt.
func (g *dialGate) enter(a *dialAttempt) (ok bool, ahead int) {
	if g == nil {
		return true, 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inFlight < g.limit && g.head == nil {
		g.inFlight++
		a.slot = slotHeld
		return true, 0
	}
	ahead = g.waiting
	a.slot = slotQueued
	a.slotReady = make(chan struct{})
	a.prev = g.tail
	if g.tail != nil {
		g.tail.next = a
	} else {
		g.head = a
	}
	g.tail = a
	g.waiting++
	return false, ahead
}

// await waits until a, queued by enter, holds a slot (true), or until
// the attempt ends (false: it then holds none). It runs on a goroutine
// of the attempt's (reconnectAttempt).
func (g *dialGate) await(a *dialAttempt) bool {
	select {
	case <-a.slotReady:
		if a.Err() == nil {
			return true
		}
		g.leave(a) // it ended as the slot came: no dial
		return false
	case <-a.Done():
		g.leave(a) // a slot given meanwhile goes to the next in line
		return false
	}
}

// leave gives back a's slot, or takes a out of the queue: what a took
// and nothing else. It may be called more than once, and for an attempt
// that holds nothing (or none).
func (g *dialGate) leave(a *dialAttempt) {
	if g == nil || a == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch a.slot {
	case slotHeld:
		a.slot = slotReturned
		g.inFlight--
		g.grant()
	case slotQueued:
		a.slot = slotWithdrawn
		if a.prev != nil {
			a.prev.next = a.next
		} else {
			g.head = a.next
		}
		if a.next != nil {
			a.next.prev = a.prev
		} else {
			g.tail = a.prev
		}
		a.prev, a.next = nil, nil
		g.waiting--
	}
}

// grant gives the free slots to the attempts first in line.
func (g *dialGate) grant() {
	for g.inFlight < g.limit && g.head != nil {
		a := g.head
		g.head = a.next
		if g.head != nil {
			g.head.prev = nil
		} else {
			g.tail = nil
		}
		a.next = nil
		g.waiting--
		g.inFlight++
		a.slot = slotHeld
		close(a.slotReady)
	}
}

// reconnectAttempt starts an automatic reconnect attempt once it holds
// a slot of the engine's gate: at once when one is free and nobody waits,
// else after waiting in line ("queued" status), on a goroutine that sends
// slotGranted when the slot comes. The attempt (its connect timeout
// included) starts only then, so time in line neither times it out nor
// counts as an attempt of the policy's MaxAttempts. The wait ends with
// the attempt: lose abandons it (Disconnect, Interrupt, Close) and takes
// it out of the line. It is bounded in practice because every slot holder
// is bounded by its own connect timeout.
func (s *session) reconnectAttempt(ctx actor.Context) {
	g := s.c.eng.gate
	att := &dialAttempt{}
	s.dialing = att // lose takes it out of the line, or gives its slot back
	ok, ahead := g.enter(att)
	if ok {
		s.startAttempt(ctx, att)
		return
	}
	s.c.stats.more().ConnectsQueued.Add(1)
	s.status("queued", g.queuedDetail(s.curAddr, ahead))
	self, sys, gen := ctx.Self(), ctx.ActorSystem(), s.gen
	s.c.wg.Add(1)
	go func() {
		defer s.c.wg.Done()
		if g.await(att) {
			// The session starts the attempt, or (if it abandoned the
			// attempt meanwhile) has given the slot back in lose.
			sys.Root.Send(self, &slotGranted{gen: gen, att: att})
		}
	}()
}

// ConnectSlots describes an engine's connection attempts at one moment.
type ConnectSlots struct {
	// Limit is the engine's MaxConcurrentConnects; 0 when there is none.
	Limit int
	// InFlight counts the automatic reconnect attempts between their
	// dial and CONNECTED (or their failure) now; with no limit it is not
	// counted and stays 0. A Connect's own attempts are not counted.
	InFlight int
	// Waiting counts the reconnect attempts waiting for a slot now.
	Waiting int
}

// ConnectSlots returns the engine's limit on concurrent automatic
// reconnect attempts and how many run and wait now.
func (e *Engine) ConnectSlots() ConnectSlots {
	g := e.gate
	if g == nil {
		return ConnectSlots{}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return ConnectSlots{Limit: g.limit, InFlight: g.inFlight, Waiting: g.waiting}
}

// queuedDetail is the detail of the "queued" status of an attempt on
// addr that waits behind ahead others.
func (g *dialGate) queuedDetail(addr string, ahead int) string {
	return addr + ": waiting for one of the engine's " + strconv.Itoa(g.limit) +
		" connection slots (MaxConcurrentConnects), " + strconv.Itoa(ahead) + " attempts ahead"
}
