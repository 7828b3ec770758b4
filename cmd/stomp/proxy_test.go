package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// daemon is a long-running stomp command (broker, proxy) whose stdout the
// test reads line by line.
type daemon struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	lines  chan string // closed at end of output
	stderr *syncBuffer
	mu     sync.Mutex
	seen   []string
}

// syncBuffer is a bytes.Buffer safe for the exec copier and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemon starts the binary with args; the test's cleanup kills it if
// the test did not stop it.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	d := &daemon{cmd: exec.CommandContext(ctx, binary, args...), cancel: cancel, lines: make(chan string, 4096), stderr: &syncBuffer{}}
	d.cmd.Stderr = d.stderr
	out, err := d.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, d.cmd.Start())
	go func() {
		defer close(d.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case d.lines <- sc.Text():
			default: // the test reads far fewer lines than this bound
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = d.cmd.Wait()
	})
	return d
}

// waitLine returns the first line (seen before or now) containing substr.
func (d *daemon) waitLine(t *testing.T, substr string) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.seen {
		if strings.Contains(l, substr) {
			return l
		}
	}
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case l, ok := <-d.lines:
			if !ok {
				t.Fatalf("output ended without %q; got %q; stderr: %s", substr, d.seen, d.stderr.String())
			}
			d.seen = append(d.seen, l)
			if strings.Contains(l, substr) {
				return l
			}
		case <-deadline.C:
			t.Fatalf("no line with %q in time; got %q; stderr: %s", substr, d.seen, d.stderr.String())
		}
	}
}

// stop interrupts the daemon as Ctrl-C does and returns its exit code.
func (d *daemon) stop(t *testing.T) int {
	t.Helper()
	return d.signal(t, os.Interrupt)
}

// signal sends sig to the daemon and returns its exit code.
func (d *daemon) signal(t *testing.T, sig os.Signal) int {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(sig))
	err := d.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

// listenAddr reads the address from a "... listening on ADDR ..." line.
func listenAddr(t *testing.T, line string) string {
	t.Helper()
	_, rest, ok := strings.Cut(line, "listening on ")
	require.True(t, ok, line)
	return strings.Fields(rest)[0]
}

func TestProxyCommandPrintsFaults(t *testing.T) {
	b, err := sim.NewBroker(sim.WithUser("guest", "guest"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	d := startDaemon(t, "proxy", "--target", b.Addr(), "--listen", "127.0.0.1:0",
		"--fault", "drop-conn,name=cut,conn=2,on=message", "--fault", "random-chunks,chunk=16", "--seed", "7")
	line := d.waitLine(t, "listening on")
	assert.Contains(t, line, "for "+b.Addr())
	assert.Contains(t, line, "2 faults planned, seed 7")
	srv := "stomp://guest:guest@" + listenAddr(t, line)

	r := stomp(t, "", "send", "--server", srv, "--receipt", "--count", "2", "/queue/px", "through the proxy")
	require.Equal(t, 0, r.code, r.stderr)
	d.waitLine(t, "fault: conn 1: fault-2 (RandomChunks) to-client at byte 0")
	// Client acks: what the cut connection did not acknowledge is redelivered.
	r = stomp(t, "", "subscribe", "--server", srv, "--ack", "client", "--count", "2", "/queue/px")
	assert.Equal(t, exitFailure, r.code, "the MESSAGE frame is cut: %s", r.stdout)
	assert.Contains(t, r.stderr, "connection lost")
	d.waitLine(t, "fault: conn 2: cut (DropConn) at frame 1 (MESSAGE)")
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "2", "/queue/px")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "through the proxy\nthrough the proxy\n", r.stdout, "connection 3 is not cut")

	require.Equal(t, exitInterrupted, d.stop(t), "Ctrl-C is the way to stop it: 128+SIGINT")
	d.waitLine(t, "stopping: ")
	assert.Empty(t, d.stderr.String())
}

func TestProxyCommandRefusesTargets(t *testing.T) {
	for _, tt := range []struct{ target, want string }{
		{"", "--target HOST:PORT is required"},
		{"stomp+ssl://broker:61612", "TLS targets are not supported"},
		{"ssl://broker:61612", "TLS targets are not supported"},
		{"ws://broker:15674/ws", "WebSocket targets are not supported"},
		{"wss://broker:15673/ws", "WebSocket targets are not supported"},
		{"stomp://guest:secretpass@broker:61613", "the proxy does not log in"},
		{"broker", "want HOST:PORT"},
		{"broker:0", "bad port"},
		{"ftp://broker:21", "unknown scheme"},
	} {
		r := stomp(t, "", "proxy", "--target", tt.target)
		assert.Equal(t, exitUsage, r.code, "%s: %s", tt.target, r.stderr)
		assert.Contains(t, r.stderr, tt.want, tt.target)
		assert.NotContains(t, r.stderr, "secretpass")
		assert.Empty(t, r.stdout, "nothing listened")
	}
	r := stomp(t, "", "proxy", "--target", "127.0.0.1:1", "--fault", "drop-conn,after-bytes=10,on=send")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "cannot trigger by AfterBytes", "the plan is validated before listening")
	r = stomp(t, "", "proxy", "--target", "127.0.0.1:1", "--fault", "teleport")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "unknown kind")
}

func TestProxyCommandTargetDown(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	addr := b.Addr()
	require.NoError(t, b.Close())
	d := startDaemon(t, "proxy", "--target", addr)
	srv := "stomp://" + listenAddr(t, d.waitLine(t, "listening on"))
	r := stomp(t, "", "send", "--timeout", "5s", "--server", srv, "/queue/x", "nobody there")
	assert.Equal(t, exitFailure, r.code)
	require.Equal(t, exitTerminated, d.signal(t, syscall.SIGTERM), "SIGTERM stops it cleanly too: 128+SIGTERM")
	assert.Contains(t, d.stderr.String(), "warning: the target does not answer now")
}

func TestParseFault(t *testing.T) {
	f, err := parseFault("random-chunks,chunk=8,conn=2,dir=to-server", 1, 42)
	require.NoError(t, err)
	assert.Equal(t, sim.Fault{Name: "fault-1", Kind: sim.RandomChunks, Chunk: 8, Conn: 2, Dir: sim.ToServer, Seed: 42}, f, "--seed is the default seed")
	f, err = parseFault("CorruptByte,after-bytes=5,mask=0x20,seed=3,name=flip", 2, 42)
	require.NoError(t, err)
	assert.Equal(t, sim.Fault{Name: "flip", Kind: sim.CorruptByte, AfterBytes: 5, Mask: 0x20, Seed: 3}, f)
	f, err = parseFault("sendError,on=message,nth=2,fatal=true,message=go away,after=1s", 3, 0)
	require.NoError(t, err)
	assert.Equal(t, sim.Fault{Name: "fault-3", Kind: sim.SendError, OnCommand: f.OnCommand, Nth: 2, Fatal: true, Message: "go away", After: time.Second}, f)
	assert.Equal(t, "MESSAGE", f.OnCommand.String())
	f, err = parseFault("send-error,receipt-of=2,message=queue full", 4, 0)
	require.NoError(t, err)
	assert.Equal(t, sim.Fault{Name: "fault-4", Kind: sim.SendError, ReceiptOf: 2, Message: "queue full"}, f)
	for _, bad := range []string{"drop-conn,after-bytes", "drop-conn,color=red", "drop-conn,dir=sideways", "drop-conn,on=shout", "corrupt-byte,mask=256", "delay-writes,delay=soon"} {
		_, err := parseFault(bad, 1, 0)
		assert.Error(t, err, bad)
	}
	assert.Contains(t, faultKinds(), "no-disconnect-receipt")
}

// gateWriter blocks every write until open is closed; entered says a
// write has begun.
type gateWriter struct {
	open    chan struct{}
	entered chan struct{} // capacity 1
	buf     syncBuffer
}

func (g *gateWriter) Write(p []byte) (int, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.open
	return g.buf.Write(p)
}

func TestFaultPrinterNeverBlocksAConnection(t *testing.T) {
	w := &gateWriter{open: make(chan struct{}), entered: make(chan struct{}, 1)}
	p := newFaultPrinter(w)
	drop := sim.FaultEvent{Fault: "cut", Kind: sim.DropConn, Conn: 1}
	p.hook(drop)
	select {
	case <-w.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the printer never wrote")
	}
	// The writer is stuck: the queue fills, then events are only counted.
	for i := 0; i < faultQueueSize+9; i++ {
		p.hook(drop)
	}
	for i := 0; i < 5; i++ { // a piece fault on two connections
		p.hook(sim.FaultEvent{Fault: "bits", Kind: sim.SplitWrites, Conn: 1 + i%2, Size: 1})
	}
	close(w.open)
	summary := p.stop()
	p.hook(drop) // a timer firing after Close: counted, no panic
	assert.Equal(t, fmt.Sprintf("%d fault actions (0 repeated ones and 14 beyond the print queue not printed)", faultQueueSize+15), summary)
	out := w.buf.String()
	assert.Equal(t, faultQueueSize+1, strings.Count(out, "fault: conn 1: cut (DropConn)"), "one written, a queue-full waiting")
	assert.NotContains(t, out, "bits", "the queue was full when they came")

	// With room, a piece fault prints once per connection.
	var buf syncBuffer
	p = newFaultPrinter(&buf)
	for i := 0; i < 6; i++ {
		p.hook(sim.FaultEvent{Fault: "bits", Kind: sim.SplitWrites, Conn: 1 + i%2, Size: 1})
	}
	assert.Equal(t, "6 fault actions (4 repeated ones and 0 beyond the print queue not printed)", p.stop())
	assert.Equal(t, 2, strings.Count(buf.String(), "(repeats on every later write: not printed)\n"), buf.String())
}
