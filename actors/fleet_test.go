package actors

import (
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stompactor/stompactor/sim"
)

// connectFront stands between the clients and the sim broker of the
// moment (so that a broker can be closed and another put in its place
// with no port given up), and counts the connection attempts it sees in
// flight: accepted, and their first frame from the broker (CONNECTED, or
// an ERROR) not yet passed on. An attempt is counted out before the
// client can read that frame, and before the front closes a connection,
// so the count never runs ahead of the client's own: its peak is a lower
// bound of the attempts the client had in flight at once.
type connectFront struct {
	addr     string
	broker   atomic.Pointer[sim.Broker]
	open     atomic.Int64
	most     atomic.Int64
	holdMu   sync.Mutex
	hold     chan struct{} // while set, accepted connections wait for it to close
	released sync.Once
}

func newConnectFront(t *testing.T) *connectFront {
	t.Helper()
	f := &connectFront{}
	f.broker.Store(newPipeSim(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.addr = ln.Addr().String()
	testnet.Serve(t, ln, f.serve)
	t.Cleanup(f.release) // before Serve's cleanup waits for serve
	return f
}

// newPipeSim is a sim broker that serves the front's pipes only.
func newPipeSim(t *testing.T) *sim.Broker {
	t.Helper()
	b, err := sim.NewBroker(sim.WithListenAddr(""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// restart puts a new broker in place and closes the old one (every
// connection drops); with hold, the connections accepted from then on
// wait at the front until release.
func (f *connectFront) restart(t *testing.T, hold bool) {
	if hold {
		f.holdMu.Lock()
		f.hold, f.released = make(chan struct{}), sync.Once{}
		f.holdMu.Unlock()
	}
	_ = f.broker.Swap(newPipeSim(t)).Close()
}

func (f *connectFront) release() {
	f.holdMu.Lock()
	defer f.holdMu.Unlock()
	if f.hold != nil {
		f.released.Do(func() { close(f.hold) })
	}
}

func (f *connectFront) serve(c net.Conn) {
	n := f.open.Add(1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	out := sync.OnceFunc(func() { f.open.Add(-1) })
	defer out()
	f.holdMu.Lock()
	hold := f.hold
	f.holdMu.Unlock()
	if hold != nil {
		<-hold
	}
	bc, err := f.broker.Load().ServePipe()
	if err != nil {
		return // the broker of the moment is closing
	}
	up := make(chan struct{})
	go func() {
		_, _ = io.Copy(bc, c)
		_ = bc.Close()
		close(up)
	}()
	buf := make([]byte, 4096)
	for {
		n, err := bc.Read(buf)
		if n > 0 {
			if bytes.IndexByte(buf[:n], 0) >= 0 {
				out() // the end of the first frame: the attempt is over
			}
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	out()
	_ = c.Close()
	_ = bc.Close()
	<-up
}

// Many clients of one engine that lose their broker together come back,
// every one of them with its subscription, without ever having more
// attempts in flight than the engine's MaxConcurrentConnects: the first
// ones take the slots, the others wait in line (counted in their Stats
// and in the engine's ConnectSlots), first with every attempt held at
// the broker's door until the whole fleet stands in line, then again
// with the door open.
func TestFleetReconnectKeepsAttemptsWithinTheEngineLimit(t *testing.T) {
	const clients, limit = 100, 4
	f := newConnectFront(t)
	e := engineFor(t, limit)
	policy := ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond,
		jitter: func() float64 { return 0 }} // every client tries again at once
	conns := make([]*Conn, clients)
	for i := range conns {
		c := mustConn(t, e, ConnOptions{})
		conns[i] = c
		connectTo(t, c, f.addr, ConnectConfig{Reconnect: policy, ConnectTimeout: waitTimeout})
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/topic/fleet", Receipt: waitTimeout})
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(c.Close)
		}
		wg.Wait()
	})
	within := func() bool {
		if most := f.most.Load(); most > limit {
			t.Fatalf("%d connection attempts were in flight at once; the limit is %d", most, limit)
		}
		return true
	}
	back := func(round int64) func() bool {
		return func() bool {
			within()
			d, ok := f.broker.Load().Destination("/topic/fleet")
			if !ok || d.Subscribers != clients {
				return false
			}
			for _, c := range conns {
				if c.Stats().Reconnects != round || c.State() != Connected {
					return false
				}
			}
			return true
		}
	}
	queued := func() (n int64) {
		for _, c := range conns {
			n += c.Stats().ConnectsQueued
		}
		return n
	}
	require.Zero(t, queued(), "connected one at a time: nobody waited")

	f.restart(t, true)
	waitFor(t, "the fleet to stand in line", func() bool {
		return within() && f.open.Load() == limit && e.ConnectSlots() == ConnectSlots{Limit: limit, InFlight: limit, Waiting: clients - limit}
	})
	f.release()
	waitFor(t, "every client back and subscribed", back(1))
	require.Equal(t, int64(clients-limit), queued(), "every attempt but the first few waited, once")
	require.Equal(t, ConnectSlots{Limit: limit}, e.ConnectSlots())

	f.restart(t, false)
	waitFor(t, "every client back and subscribed again", back(2))
	require.Equal(t, ConnectSlots{Limit: limit}, e.ConnectSlots())
	t.Logf("at most %d attempts in flight at the front; %d attempts waited in line", f.most.Load(), queued())
}
