package actors

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// Between queueing a heart-beat and flushing it, the writer owns its
// buffer, as after a flushSignal: a sender appending then does not write
// through. (It did: it detached the buffer with the heart-beat and wrote
// it on its own goroutine while the writer's flush went on to write what
// other senders appended after it; with a partial write, those bytes could
// reach the wire before the rest of the first frame.)
func TestAQueuedHeartbeatKeepsSendersFromWritingThrough(t *testing.T) {
	b, err := sim.NewBroker(sim.WithHeartbeat(0, 20*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	seen := make(chan bool, 1)
	var once atomic.Bool
	hook := func(q *wqueue) {
		if !once.CompareAndSwap(false, true) {
			return
		}
		q.mu.Lock()
		owned := q.signaled
		q.mu.Unlock()
		seen <- owned
	}
	heartbeatQueuedHook.Store(&hook)
	t.Cleanup(func() { heartbeatQueuedHook.Store(nil) })
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{HeartbeatOut: 20 * time.Millisecond, HeartbeatIn: time.Minute})
	select {
	case owned := <-seen:
		require.True(t, owned, "a sender appending now would write through, beside the writer's flush")
	case <-time.After(10 * time.Second):
		t.Fatal("no heart-beat was queued")
	}
}
