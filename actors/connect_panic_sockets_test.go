package actors

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// countingListener accepts on 127.0.0.1:0 and runs script on every
// connection; it counts the connections accepted and those whose client
// side was seen closed (EOF on read, after the script).
type countingListener struct {
	ln               net.Listener
	accepted, closed atomic.Int32
	wg               sync.WaitGroup
}

func newCountingListener(t *testing.T, script func(n int, conn net.Conn, r *bufio.Reader)) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := &countingListener{ln: ln}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(l.accepted.Add(1))
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				defer conn.Close()
				r := bufio.NewReader(conn)
				script(n, conn, r)
				// Until the client closes its side.
				buf := make([]byte, 512)
				for {
					if _, err := r.Read(buf); err != nil {
						break
					}
				}
				l.closed.Add(1)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		done := make(chan struct{})
		go func() { l.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("listener's connections did not end")
		}
	})
	return l
}

func (l *countingListener) open() int32 { return l.accepted.Load() - l.closed.Load() }

// A panic in the "connecting" status (after the socket is stored, the
// reader started, before CONNECT is written) closes the socket too.
func TestAPanicOnConnectingClosesTheSocket(t *testing.T) {
	l := newCountingListener(t, func(int, net.Conn, *bufio.Reader) {})
	c, _ := newTestClient(t, ConnOptions{Sink: func(e Event) {
		if s, ok := e.(*ConnectionStatusEvent); ok && s.Status == "connecting" {
			panic("status handler")
		}
	}})
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: l.ln.Addr().String(), ConnectTimeout: 5 * time.Second})
	require.Error(t, err)
	waitFor(t, "the socket closed", func() bool { return l.accepted.Load() == 1 && l.open() == 0 })
}

// Reconnect attempts (through an engine's dial gate of one slot) whose
// "connected-tcp" status panics each close their socket and give their
// slot back: once the sink stops panicking the connection comes back.
func TestPanickingReconnectAttemptsCloseTheirSocketsAndSlots(t *testing.T) {
	l := newCountingListener(t, func(n int, conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		_, _ = conn.Write([]byte(connectedFrame("1.2")))
		if n == 1 {
			_ = conn.(*net.TCPConn).CloseWrite() // the first connection ends at once
		}
	})
	e := NewEngine(EngineOptions{MaxConcurrentConnects: 1})
	t.Cleanup(func() { _ = e.Close() })
	var panics atomic.Int32
	var armed atomic.Bool
	c := mustConn(t, e, ConnOptions{Sink: func(ev Event) {
		if s, ok := ev.(*ConnectionStatusEvent); ok && s.Status == "connected-tcp" && armed.Load() && panics.Load() < 4 {
			panics.Add(1)
			panic("status handler")
		}
	}})
	t.Cleanup(c.Close)
	armed.Store(false)
	_, err := c.Connect(testCtx(t), ConnectConfig{Addr: l.ln.Addr().String(), Reconnect: ReconnectPolicy{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})
	require.NoError(t, err)
	armed.Store(true)
	waitFor(t, "four panics and a connection again", func() bool {
		return panics.Load() == 4 && c.State() == Connected && l.accepted.Load() == 6
	})
	waitFor(t, "every socket but the live one closed", func() bool { return l.open() == 1 })
	require.Zero(t, e.ConnectSlots().InFlight, "a slot is still held")
	c.Close()
	waitFor(t, "the live socket closed", func() bool { return l.open() == 0 })
	waitFor(t, "the engine idle", func() bool { return e.Actors() == 0 && e.Connections() == 0 })
}

// A sink that panics on "connected-tcp" and again on the ErrorEvent that
// reports that panic (session.panicked emits it before lose): the
// socket is still closed.
func TestASecondPanicOnTheErrorEventStillClosesTheSocket(t *testing.T) {
	l := newCountingListener(t, func(int, net.Conn, *bufio.Reader) {})
	c, _ := newTestClient(t, ConnOptions{Sink: func(e Event) {
		switch x := e.(type) {
		case *ConnectionStatusEvent:
			if x.Status == "connected-tcp" {
				panic("status handler")
			}
		case *ErrorEvent:
			panic("error handler")
		}
	}})
	ctx, cancel := contextWithTimeout(3 * time.Second)
	defer cancel()
	_, err := c.Connect(ctx, ConnectConfig{Addr: l.ln.Addr().String(), ConnectTimeout: 2 * time.Second})
	require.Error(t, err)
	waitFor(t, "the socket closed", func() bool { return l.accepted.Load() == 1 && l.open() == 0 })
}

// The same with a logger whose handler panics on the "connected-tcp" line
// and on every error line (the panic's own report among them).
func TestALoggerPanickingTwiceStillClosesTheSocket(t *testing.T) {
	l := newCountingListener(t, func(int, net.Conn, *bufio.Reader) {})
	c, _ := newTestClient(t, ConnOptions{Logger: slog.New(panickyLogHandler{})})
	ctx, cancel := contextWithTimeout(3 * time.Second)
	defer cancel()
	_, err := c.Connect(ctx, ConnectConfig{Addr: l.ln.Addr().String(), ConnectTimeout: 2 * time.Second})
	require.Error(t, err)
	waitFor(t, "the socket closed", func() bool { return l.accepted.Load() == 1 && l.open() == 0 })
}

type panickyLogHandler struct{}

func (panickyLogHandler) Enabled(context.Context, slog.Level) bool { return true }
func (panickyLogHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "connected-tcp") || r.Level >= slog.LevelError {
		panic("logger")
	}
	return nil
}
func (h panickyLogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panickyLogHandler) WithGroup(string) slog.Handler      { return h }
