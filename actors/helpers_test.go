package actors

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// waitTimeout is how long a test waits for anything that should happen.
// It is generous: it bounds a failing test, never a passing one.
const waitTimeout = 10 * time.Second

// testCtx returns a context that ends with the test (or after
// waitTimeout).
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// recv waits for a value on ch, failing the test after waitTimeout.
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// nextFrame returns the next frame the server read that is not in skip.
func nextFrame(t testing.TB, got <-chan *frames.Frame, skip ...frames.Command) *frames.Frame {
	t.Helper()
	for {
		f := recv(t, got, "a frame at the server")
		skipped := false
		for _, c := range skip {
			skipped = skipped || f.Command == c
		}
		if !skipped {
			return f
		}
	}
}

// expectFrame returns the next frame the server read and checks its command.
func expectFrame(t testing.TB, got <-chan *frames.Frame, cmd frames.Command) *frames.Frame {
	t.Helper()
	f := recv(t, got, "a "+cmd.String()+" frame at the server")
	require.Equal(t, cmd, f.Command, "frame %s", f)
	return f
}

// recorder keeps every event a client posts, for the test to wait on.
type recorder struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// count returns how many events of type E matching match were recorded.
func count[E Event](r *recorder, match func(E) bool) int {
	n := 0
	for _, e := range r.all() {
		if x, ok := e.(E); ok && (match == nil || match(x)) {
			n++
		}
	}
	return n
}

// waitEvent waits for the n-th (1-based) recorded event of type E that
// matches (nil matches any) and returns it.
func waitEventN[E Event](t testing.TB, r *recorder, n int, match func(E) bool) E {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		seen := 0
		for _, e := range r.all() {
			if x, ok := e.(E); ok && (match == nil || match(x)) {
				seen++
				if seen == n {
					return x
				}
			}
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			var zero E
			t.Fatalf("timed out waiting for event %d of type %T; got %s", n, zero, describe(r.all()))
		}
	}
}

func waitEvent[E Event](t testing.TB, r *recorder, match func(E) bool) E {
	t.Helper()
	return waitEventN(t, r, 1, match)
}

func describe(evs []Event) string {
	s := ""
	for _, e := range evs {
		if _, ok := e.(*LogEvent); ok {
			continue
		}
		s += fmt.Sprintf("\n  %T %+v", e, e)
	}
	return s
}

// newTestClient starts a connection in an engine of its own, recording
// its events. At cleanup it closes the connection, checks that every actor
// it spawned is gone, and closes the engine.
func newTestClient(t testing.TB, opts ConnOptions) (*Conn, *recorder) {
	t.Helper()
	e := NewEngine(EngineOptions{})
	rec := newRecorder()
	if opts.Sink == nil {
		opts.Sink = rec.add
	}
	c := mustConn(t, e, opts)
	t.Cleanup(func() {
		c.Close()
		// A handler still running when Close came lets the connection
		// finish once it returns (Conn.Close): wait for that too.
		waitFor(t, "the connection's actors to stop", func() bool { return e.Actors() == 0 && e.Connections() == 0 })
		require.NoError(t, e.Close())
	})
	return c, rec
}

// mustConn adds a connection to e (nil: the default engine).
func mustConn(t testing.TB, e *Engine, opts ConnOptions) *Conn {
	t.Helper()
	c, err := NewConn(e, opts)
	require.NoError(t, err)
	return c
}

// connectTo connects c to addr with cfg (Addr is filled in).
func connectTo(t testing.TB, c *Conn, addr string, cfg ConnectConfig) ConnectInfo {
	t.Helper()
	cfg.Addr = addr
	info, err := c.Connect(testCtx(t), cfg)
	require.NoError(t, err)
	return info
}

// versionCases are the three protocol versions, each offered alone.
var versionCases = []struct {
	name string
	v    frames.Version
	hdr  string // the CONNECTED version header; "" for a 1.0 server
}{
	{"1.0", frames.V10, ""},
	{"1.1", frames.V11, "1.1"},
	{"1.2", frames.V12, "1.2"},
}

var errEOF = io.EOF

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func itoa(i int) string { return strconv.Itoa(i) }

// testCtxLong is testCtx for benchmarks, which may run for minutes.
func testCtxLong(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
