package api

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// wait is the generous deadline of every wait in the tests.
const wait = 10 * time.Second

var versions = []string{"1.0", "1.1", "1.2"}

func newBroker(t *testing.T, opts ...sim.Option) *sim.Broker {
	t.Helper()
	b, err := sim.NewBroker(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return h, n
}

// newClient returns a client, closed when the test ends.
func newClient(t *testing.T, opts ...Option) *STOMP {
	t.Helper()
	s := NewSTOMP(opts...)
	t.Cleanup(s.Close)
	return s
}

// connectTo returns a client connected to b with the given version.
func connectTo(t *testing.T, b *sim.Broker, version string, opts ...Option) *STOMP {
	t.Helper()
	s := newClient(t, append([]Option{WithSupportedVersions(version)}, opts...)...)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	require.Equal(t, version, s.ProtocolVersion())
	return s
}

// recv waits for a value from ch.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("nothing received within %v", wait)
	}
	var zero T
	return zero
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(wait)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// collect registers a handler that forwards copies of events to a
// buffered channel.
func collect[E any](register func(func(*E))) chan *E {
	ch := make(chan *E, 1024)
	register(func(e *E) {
		select {
		case ch <- e:
		default:
		}
	})
	return ch
}

// received returns the frames connection n of b received with command cmd.
func received(t *testing.T, b *sim.Broker, n int, cmd frames.Command) []*frames.Frame {
	t.Helper()
	ci, ok := b.Connection(n)
	if !ok {
		return nil
	}
	var out []*frames.Frame
	for _, f := range ci.Received {
		if f.Command == cmd {
			out = append(out, f)
		}
	}
	return out
}

// waitFrame waits until connection n of b has received a frame of cmd
// and returns the last one.
func waitFrame(t *testing.T, b *sim.Broker, n int, cmd frames.Command) *frames.Frame {
	t.Helper()
	var f *frames.Frame
	waitFor(t, cmd.String()+" at the broker", func() bool {
		fs := received(t, b, n, cmd)
		if len(fs) == 0 {
			return false
		}
		f = fs[len(fs)-1]
		return true
	})
	return f
}

// scripted is a one-connection server speaking raw bytes, for exact-wire
// and hostile tests.
type scripted struct {
	ln   net.Listener
	done chan struct{}
	host string
	port int
}

func newScripted(t *testing.T, script func(conn net.Conn, d *frames.Decoder)) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &scripted{ln: ln, done: make(chan struct{})}
	s.host, s.port = hostPort(t, ln.Addr().String())
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		script(conn, frames.NewDecoder(conn, frames.V12, frames.Limits{}))
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		select {
		case <-s.done:
		case <-time.After(wait):
			t.Error("scripted server did not finish")
		}
	})
	return s
}

// readFrame reads one client frame, skipping heart-beats.
func readFrame(d *frames.Decoder) (*frames.Frame, error) {
	for {
		f, err := d.Decode()
		if err != nil {
			return nil, err
		}
		if f.Command != frames.Heartbeat {
			return f.Clone(), nil
		}
	}
}

// logSink is a slog handler target that keeps every line.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

func (l *logSink) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
