//go:build linux && !386

package actors

import (
	"context"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A cut that lands between a caller's claim of the reading and its first
// wait (the wake another subscription's Unsubscribe gives, or the end of
// the previous caller's context) is taken, and the end of the caller's
// own context still ends its read: the deadline a reader goroutine's
// settled wait left armed is gone with the claim, and a cut's deadline is
// cleared only with its flag, under the lock.
//
// The schedule is forced: the reader vacates the reading with its settle
// deadline armed, the test claims it, the wake comes, then the caller
// reads (readFor) with a context the test cancels.
func TestACutBeforeTheCallersFirstWaitIsNotLost(t *testing.T) {
	beat := make(chan struct{}, 1)
	stop := make(chan struct{})
	srv := beatingBroker(t, beat, stop, func(p *peer, _ *frames.Frame) {
		p.write("\n") // lets a stuck caller go
		p.drain()
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s", Destination: "/q", Pull: true, Receipt: 5 * time.Second})
	require.NoError(t, err)
	rt := c.routes.Load().find(id)
	rd := c.link.Load().rd
	// A caller is said to wait in Receive (so the reader vacates) without
	// one claiming the reading: the test claims it itself.
	rt.pull.callers.Add(1)
	defer rt.pull.callers.Add(-1)

	deadline := time.Now().Add(waitTimeout)
	claimed := false
	for !claimed {
		require.True(t, time.Now().Before(deadline), "the reader never vacated with its settle deadline armed")
		before := c.Stats().BytesIn
		beat <- struct{}{}
		// Only once the beat was read (nothing left in the socket).
		for spin := time.Now(); !claimed && time.Since(spin) < 50*time.Millisecond; {
			p := rd.pr.Load()
			if p == nil || c.Stats().BytesIn == before {
				continue
			}
			p.mu.Lock()
			armed := p.role == roleVacant && rd.wait != nil && rd.wait.until != 0
			p.mu.Unlock()
			claimed = armed && rd.claim()
		}
	}
	// Another subscription's Unsubscribe wakes the reading caller now.
	rd.wakeCaller()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd.readFor(ctx, rt)
	}()
	waitFor(t, "the caller to take the cut (and read on)", func() bool {
		p := rd.pr.Load()
		p.mu.Lock()
		defer p.mu.Unlock()
		return !p.interrupted
	})
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		close(stop) // a byte from the broker is what lets it go
		<-done
		t.Fatal("the caller's read ignored the end of its context: the cut before its first wait was lost (interrupted left true, deadline cleared by disarm)")
	}
	close(stop)
}
