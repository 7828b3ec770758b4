package api

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stompactor/stompactor/sim"
)

// A program that connects 200 clients at once on the default engine to a
// broker whose handshake takes 300ms (a long round trip, a slow proxy),
// each with a 1s Timeout, has every one connected: the engine's
// MaxConcurrentConnects (64 by default) holds back only the automatic
// reconnect attempts after a lost connection, never a Connect the program
// calls, so none of them waits in line (none is queued, and none fails
// with ErrTimeout though the broker would take them all at once).
func TestDefaultEngineConnectsASlowFleetAllAtOnce(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "slow-link", Kind: sim.DelayWrites, Delay: 300 * time.Millisecond}}))
	h, p := hostPort(t, b.Addr())
	const n = 200
	clients := make([]*STOMP, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = NewSTOMP(WithTimeout(time.Second))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = clients[i].Connect(h, p)
		}(i)
	}
	wg.Wait()
	failed := 0
	var first error
	for i, s := range clients {
		if errs[i] != nil {
			failed++
			if first == nil || !errors.Is(first, ErrTimeout) {
				first = errs[i]
			}
		}
		assert.Zero(t, s.Stats().ConnectsQueued, "client %d waited for a slot", i)
		s.Close()
	}
	assert.Zero(t, failed, "%d of %d clients failed to connect; the first: %v", failed, n, first)
}
