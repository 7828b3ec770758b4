package actors

import (
	"runtime"
	"sync"
	"testing"
)

// A handler subscription's actor that skips a message because its route
// ended (deliverFrom → skipsAfterEnd) races the session's endSubscriptions,
// which ends the route and then halts the turn (haltTurn → haltQueue counts
// every place still queued). The message is counted dropped once: by the
// halt if its place was still queued when the queue was halted, else by the
// skip (release reports which). This drives the two steps as the actor and
// the session run them, on two goroutines, many times.
func TestSkipAfterEndRacingTheHaltCountsOnce(t *testing.T) {
	const rounds = 200000
	twice := 0
	for i := 0; i < rounds; i++ {
		c := &Conn{}
		rt := newRoute(&SubscribeSpec{ID: "s", Mode: AckClientIndividual, QueueSize: 10, QueueBytes: 1 << 20})
		s := &subscription{c: c, rt: rt}
		if !rt.take(1) { // the reader queued one message
			t.Fatal("no room")
		}
		rt.end() // the session: e.route.end(), then haltTurn below
		msg := &Message{rt: rt, size: 1}
		raceTwo(
			func() { s.skipsAfterEnd(msg) },              // the subscription's actor: deliverFrom sees rt.done
			func() { c.stats.Dropped.Add(s.haltTurn()) }, // the session: endSubscriptions
		)
		if d := c.stats.Dropped.Load(); d != 1 {
			if d == 2 {
				twice++
			}
			if twice == 1 {
				t.Errorf("round %d: one message queued and never handed on, Dropped %d (want 1)", i, d)
			}
		}
	}
	if twice > 0 {
		t.Errorf("counted twice in %d of %d rounds", twice, rounds)
	}
}

// raceTwo runs first and second on two goroutines released together,
// second a scheduling step later, and returns once both returned.
func raceTwo(first, second func()) {
	var start, wg sync.WaitGroup
	start.Add(1)
	wg.Add(2)
	go func() {
		defer wg.Done()
		start.Wait()
		first()
	}()
	go func() {
		defer wg.Done()
		start.Wait()
		runtime.Gosched()
		second()
	}()
	start.Done()
	wg.Wait()
}
