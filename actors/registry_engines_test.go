package actors

import (
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// Many engines, many connections each, connected at once from many
// goroutines (spawns racing in one engine), each subscribing, sending,
// receiving and closing; every id in every registry is one the registry
// can hold, and nothing is left behind.
func TestManyEnginesManyConnectionsRacing(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	before := runtime.NumGoroutine()
	const engines, conns = 12, 24
	var wg sync.WaitGroup
	errs := make(chan error, engines*conns)
	for ei := range engines {
		e := NewEngine(EngineOptions{})
		var ewg sync.WaitGroup
		for ci := range conns {
			ewg.Add(1)
			go func() {
				defer ewg.Done()
				c, err := NewConn(e, ConnOptions{})
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				if _, err := c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr(), Reconnect: ReconnectPolicy{Enabled: ci%3 == 0, InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}}); err != nil {
					errs <- err
					return
				}
				dest := "/queue/r26-" + strconv.Itoa(ei) + "-" + strconv.Itoa(ci)
				for range 3 { // subscriptions come and go: more actors, more names
					id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: dest, Receipt: 5 * time.Second})
					if err != nil {
						errs <- err
						return
					}
					if err := c.Unsubscribe(testCtx(t), id, 5*time.Second); err != nil {
						errs <- err
						return
					}
				}
				if err := c.Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, dest), 5*time.Second, true); err != nil {
					errs <- err
					return
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ewg.Wait()
			// Every id the registry holds is one it can place.
			for _, m := range e.sys.ProcessRegistry.LocalPIDs.LocalPIDs {
				m.IterCb(func(id string, _ any) {
					if !registrable(id) {
						errs <- errors.New("unregistrable id " + id)
					}
				})
			}
			waitFor(t, "the engine's actors to stop", func() bool { return e.Actors() == 0 && e.Connections() == 0 })
			if err := e.Close(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// An engine made and closed unused leaves nothing behind (the guardian is
// made at NewEngine).
func TestUnusedEnginesLeaveNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for range 200 {
		e := NewEngine(EngineOptions{})
		require.NoError(t, e.Close())
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	t.Logf("heap after 200 unused engines: %d -> %d", ms0.HeapAlloc, ms1.HeapAlloc)
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// registryID agrees with NextId far past 300 000 (sequence numbers of a
// long-lived process on a 32-bit platform pass 2^32 only in theory, but
// the digits above 2^24 are where a formatting slip would show).
func TestRegistryIDFarOut(t *testing.T) {
	reg := actor.NewProcessRegistry(nil)
	for _, start := range []uint64{1<<24 - 3, 1<<30 - 3, 1<<32 - 3, 1<<36 - 3, 1<<63 - 3, 1<<64 - 4} {
		reg.SequenceID = start
		for k := uint64(1); k <= 3; k++ {
			n := start + k
			require.Equal(t, reg.NextId(), registryID(n), "sequence number %d", n)
		}
	}
}
