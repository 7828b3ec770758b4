package api

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/internal/testnet"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// The soak tests (soak_*_test.go) run api.STOMP clients of every kind
// against the simulator through a proxy that fragments and delays the
// bytes, while a seeded schedule hurts the broker's connections, and then
// check what must hold whatever the faults: no confirmed message lost,
// every call within its bound, every message received handed to the
// program or counted in Stats.Dropped, no panic. By default each run
// produces for one second, so that scripts/test (with -race) runs them
// all in about 20 seconds; the pass or fail of a run does not depend on
// its timing, only what it exercises does. For a longer or a different
// run:
//
//	STOMPACTOR_SOAK_DURATION=30s  production time of each run (default 1s)
//	STOMPACTOR_SOAK_SEED=42       the seed of every run (default: one per test)
//	STOMPACTOR_SOAK_CHAOS_MS=80   longest pause between two chaos actions,
//	                              in milliseconds (default 120)
//
// as in STOMPACTOR_SOAK_DURATION=1m go test -run '^TestSoak' -v ./api.
// A failing run logs its seed; the same seed replays the same choices
// (the faults land where the timing puts them, so a rerun is close, not
// identical).

// soakDuration is how long a run produces.
func soakDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("STOMPACTOR_SOAK_DURATION")); err == nil && d > 0 {
		return d
	}
	return time.Second
}

// soakSeed is the seed of a run: def unless STOMPACTOR_SOAK_SEED says.
func soakSeed(def uint64) uint64 {
	if n, err := strconv.ParseUint(os.Getenv("STOMPACTOR_SOAK_SEED"), 10, 64); err == nil {
		return n
	}
	return def
}

// soakChaosPause is a random pause between two chaos actions.
func soakChaosPause(rng *rand.Rand) time.Duration {
	most := 120
	if n, err := strconv.Atoi(os.Getenv("STOMPACTOR_SOAK_CHAOS_MS")); err == nil && n > 0 {
		most = n
	}
	return time.Duration(10+rng.IntN(most)) * time.Millisecond
}

// soakTimeout is the clients' Timeout (and DisconnectTimeout) in the
// soaks: every call must return within it, plus soakSlack.
const soakTimeout = 2 * time.Second

// soakSlack is how late a call may return past its bound: the scheduling
// of a loaded 2-core machine, more under the race detector. A call that
// waits for nothing it should comes back seconds late, or never.
func soakSlack() time.Duration {
	if raceEnabled {
		return 2 * time.Second
	}
	return time.Second
}

// soakCalls times the calls of a run against their bounds.
type soakCalls struct {
	mu   sync.Mutex
	n    int
	late []string
}

// call runs f, a call bounded by bound, and notes it if it overran.
func (c *soakCalls) call(who string, bound time.Duration, f func() error) error {
	start := time.Now()
	err := f()
	d := time.Since(start)
	c.mu.Lock()
	c.n++
	if d > bound+soakSlack() {
		c.late = append(c.late, fmt.Sprintf("%s took %v (bound %v): %v", who, d.Round(time.Millisecond), bound, err))
	}
	c.mu.Unlock()
	return err
}

// check fails t if a call overran its bound.
func (c *soakCalls) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.late) > 0 {
		t.Errorf("%d of %d calls overran their bound: %v", len(c.late), c.n, head(c.late, 10))
	}
}

// soakFront is what the soaks' clients connect to: a proxy that cuts the
// bytes into random chunks (and, with jitter, delays them) in front of a
// listener of the test's that hands each connection to the broker of
// the moment, so that a broker can be closed and another started in its
// place (soakFront.restart) with no port given up and bound again.
type soakFront struct {
	host string
	port int
	b    atomic.Pointer[sim.Broker]
}

func newSoakFront(t *testing.T, seed uint64, chunk int, jitter time.Duration) *soakFront {
	t.Helper()
	f := &soakFront{}
	f.b.Store(newBroker(t, sim.WithListenAddr(""), sim.WithClosedLog(64)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	testnet.Serve(t, ln, func(c net.Conn) {
		bc, err := f.b.Load().ServePipe()
		if err != nil {
			return // closed for a restart: the client tries again
		}
		testnet.Forward(c, bc)
	})
	plan := sim.Plan{{Name: "fragments", Kind: sim.RandomChunks, Chunk: chunk, Seed: seed + 1}}
	if jitter > 0 {
		plan = append(plan,
			sim.Fault{Name: "jitter", Kind: sim.DelayWrites, Jitter: jitter, Seed: seed + 2},
			sim.Fault{Name: "jitter-up", Kind: sim.DelayWrites, Dir: sim.ToServer, Jitter: jitter, Seed: seed + 3})
	}
	px, err := sim.NewProxy(ln.Addr().String(), plan)
	require.NoError(t, err)
	t.Cleanup(func() { _ = px.Close() })
	f.host, f.port = hostPort(t, px.Addr())
	return f
}

// broker is the broker of the moment.
func (f *soakFront) broker() *sim.Broker { return f.b.Load() }

// restart closes the broker (every connection drops, every message it
// held is gone) and, once pause passed, starts an empty one in its place.
func (f *soakFront) restart(t *testing.T, pause time.Duration) {
	_ = f.broker().Close()
	<-time.After(pause) // the clients find no broker meanwhile
	f.b.Store(newBroker(t, sim.WithListenAddr(""), sim.WithClosedLog(64)))
}

// connect makes a client with opts, connected through the front.
func (f *soakFront) connect(t *testing.T, opts ...Option) *STOMP {
	t.Helper()
	s := newClient(t, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, s.ConnectContext(ctx, f.host, f.port))
	return s
}

// soakClientOptions are the options every soak client starts from: the
// version, bounded calls, and a quick Reconnect policy.
func soakClientOptions(version string, absolute bool) []Option {
	return []Option{
		WithSupportedVersions(version), WithTimeout(soakTimeout), WithAbsoluteTimeout(absolute),
		WithDisconnectTimeout(soakTimeout),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: 5 * time.Millisecond, MaxDelay: 200 * time.Millisecond, StableAfter: 100 * time.Millisecond}),
	}
}

// A chaos action on one broker connection.
type chaosKind int

const (
	chaosClose       chaosKind = iota // the broker drops the connection
	chaosStopReading                  // it stops reading for a while
	chaosStallWrites                  // it stops writing for a while
	chaosWithhold                     // it withholds the next RECEIPT
	chaosRedeliver                    // it delivers a MESSAGE again, with a new ack id
	chaosDuplicate                    // it sends a MESSAGE twice
	chaosFatalError                   // it sends a fatal ERROR and closes
	chaosDropAfter                    // it drops the connection after a few frames out
	chaosDropAfterIn                  // it drops the connection after a few frames in
)

// soakChaos hurts a random open connection of the broker of the moment
// with one of kinds, at random pauses (soakChaosPause), until stop
// closes; it returns once stopped, after clearing every fault it
// injected.
func soakChaos(rng *rand.Rand, broker func() *sim.Broker, kinds []chaosKind, stop <-chan struct{}) (actions int) {
	var injected []string
	defer func() {
		for _, name := range injected {
			_ = broker().Clear(name)
		}
	}()
	for n := 1; ; n++ {
		select {
		case <-stop:
			return actions
		case <-time.After(soakChaosPause(rng)):
		}
		b := broker()
		conns := b.Connections()
		if len(conns) == 0 {
			continue
		}
		c := conns[rng.IntN(len(conns))].Conn
		k := kinds[rng.IntN(len(kinds))]
		if k == chaosClose {
			if b.CloseConnection(c) == nil {
				actions++
			}
			continue
		}
		f := sim.Fault{Name: "chaos-" + strconv.Itoa(n), Conn: c}
		stall := time.Duration(100+rng.IntN(600)) * time.Millisecond
		switch k {
		case chaosStopReading:
			f.Kind, f.Delay = sim.StopReading, stall
		case chaosStallWrites:
			f.Kind, f.Delay = sim.StallWrites, stall
		case chaosWithhold:
			f.Kind = sim.WithholdReceipt
		case chaosRedeliver:
			f.Kind = sim.RedeliverMessage
		case chaosDuplicate:
			f.Kind = sim.DuplicateMessage
		case chaosFatalError:
			f.Kind, f.Fatal, f.After = sim.SendError, true, time.Duration(rng.IntN(50))*time.Millisecond
		case chaosDropAfter:
			f.Kind, f.AfterFrames = sim.DropConn, 1+rng.IntN(20)
		case chaosDropAfterIn:
			f.Kind, f.Dir, f.AfterFrames = sim.DropConn, sim.ToServer, 1+rng.IntN(20)
		}
		if b.Inject(f) == nil {
			actions++
			injected = append(injected, f.Name)
		}
	}
}

// cutAll drops every connection of b once: the faults are over, and
// receipts withheld or deliveries stuck get another chance on the next
// connection.
func cutAll(b *sim.Broker) {
	for _, c := range b.Connections() {
		_ = b.CloseConnection(c.Conn)
	}
}

// closeAndCheckDropped closes s and checks that every MESSAGE it
// received was handled (handled counts them) or counted in
// Stats.Dropped, once.
func closeAndCheckDropped(t *testing.T, name string, s *STOMP, handled func() int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.CloseContext(ctx); err != nil {
		t.Errorf("%s: CloseContext: %v", name, err)
	}
	st := s.Stats()
	if h := handled(); h+st.Dropped != st.MessagesIn {
		t.Errorf("%s: handled %d + dropped %d != MessagesIn %d", name, h, st.Dropped, st.MessagesIn)
	}
}

// waitUntil polls cond until it holds or limit passed; it reports
// whether it held.
func waitUntil(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-time.After(20 * time.Millisecond)
	}
	return true
}

// waitGroupWithin waits for wg at most limit; it reports whether it ended.
func waitGroupWithin(wg *sync.WaitGroup, limit time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}

// head is the first n of s at most.
func head[T any](s []T, n int) []T {
	return s[:min(len(s), n)]
}

// soakClone copies opts, so that appending to the copy leaves opts alone.
func soakClone(opts []Option, more ...Option) []Option {
	return append(slices.Clone(opts), more...)
}
