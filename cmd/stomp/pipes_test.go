//go:build linux

package main

// What subscribe and broker do for a slow reader, a lost ACK, a lost
// connection and a stderr nobody reads.

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// pipeCapacity is the capacity of the pipe whose write end is w (Linux).
func pipeCapacity(t *testing.T, f *os.File) int {
	t.Helper()
	const fGetPipeSz = 1032
	n, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fGetPipeSz, 0)
	require.Zero(t, errno)
	return int(n)
}

// queued is how many bytes wait in the pipe whose read end is r (FIONREAD).
func queued(r *os.File) int {
	var n int32
	_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, r.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	return int(n)
}

func bigBody(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte("a"), n), 0o600))
	return p
}

// subscribeToSlowReader runs subscribe with standard output a pipe that the
// reader only starts reading after readAfter (a reader slower than --wait:
// the terminal of a paused pager, a loaded consumer), and returns what it
// read, the exit code and stderr.
func subscribeToSlowReader(t *testing.T, readAfter time.Duration, args ...string) (string, int, string) {
	t.Helper()
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var errb syncBuffer
	cmd.Stdout, cmd.Stderr = pw, &errb
	require.NoError(t, cmd.Start())
	require.NoError(t, pw.Close())
	got := make(chan []byte, 1)
	go func() {
		<-time.After(readAfter) // the slow reader, not a synchronisation
		b, _ := io.ReadAll(pr)
		got <- b
	}()
	err = cmd.Wait()
	require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
	code := 0
	var ee *exec.ExitError
	if err != nil {
		require.ErrorAs(t, err, &ee)
		code = ee.ExitCode()
	}
	return string(<-got), code, errb.String()
}

// --wait counts only the time no message came, not the time a message
// takes to be written to a slow reader: with --count, the run that printed
// and acknowledged every message asked for succeeds.
func TestWaitDoesNotCountASlowWriteAsIdle(t *testing.T) {
	b, srv := simBroker(t)
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--file", bigBody(t, 300_000), "/queue/slow")
	require.Equal(t, 0, r.code, r.stderr)
	out, code, stderr := subscribeToSlowReader(t, 2*time.Second,
		"subscribe", "--server", srv, "--count", "1", "--wait", "200ms", "/queue/slow")
	assert.Len(t, out, 300_001, "the message was printed")
	d, _ := b.Destination("/queue/slow")
	assert.Equal(t, 0, d.Ready+d.Unacked, "and acknowledged")
	assert.Equal(t, 0, code, "--count 1 was reached, yet: %s", stderr)
}

// With --wait in auto mode (client mode under the hood), the messages the
// broker pushed and the run did not print when it ended stay on the broker.
func TestWaitLosesNoPushedMessageInAutoMode(t *testing.T) {
	b, srv := simBroker(t)
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--file", bigBody(t, 300_000), "/queue/quiet")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", srv, "--receipt", "--count", "300", "/queue/quiet", "small")
	require.Equal(t, 0, r.code, r.stderr)
	out, code, stderr := subscribeToSlowReader(t, 2*time.Second,
		"subscribe", "--server", srv, "--wait", "200ms", "/queue/quiet")
	printed := strings.Count(out, "small\n")
	eventually(t, "the subscriber gone", func() bool { d, _ := b.Destination("/queue/quiet"); return d.Subscribers == 0 })
	d, _ := b.Destination("/queue/quiet")
	t.Logf("exit %d, %d small printed, %d left on the queue; stderr %q", code, printed, d.Ready, stderr)
	assert.Equal(t, 300, printed+d.Ready, "every message is printed or left on the broker")
}

// --count acknowledges in client mode and waits for the RECEIPT of the ACK
// that completes the count: a run whose ACK was lost does not exit 0
// while the next run gets the message again.
func TestCountFailsWhenItsAckIsLost(t *testing.T) {
	_, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "lose-ack", Kind: sim.DropConn, Conn: 2,
		Dir: sim.ToServer, OnCommand: frames.CmdAck}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/pop", "job-42") // conn 1
	require.Equal(t, 0, r.code, r.stderr)
	first := stomp(t, "", "subscribe", "--server", srv, "--count", "1", "/queue/pop") // conn 2: its ACK is lost
	require.Equal(t, "job-42\n", first.stdout)
	second := stomp(t, "", "subscribe", "--server", srv, "--count", "1", "--wait", "2s", "/queue/pop")
	t.Logf("first: exit %d stderr %q; second: exit %d stdout %q", first.code, first.stderr, second.code, second.stdout)
	assert.False(t, first.code == 0 && second.stdout == "job-42\n",
		"exit 0 said job-42 was taken, and the next run got it again")
}

// With --reconnect in a client ack mode, a message printed while the
// connection was lost cannot be acknowledged: a warning says it may come
// again, and the run goes on (only giving up ends it).
func TestReconnectGoesOnPastTheAckOfALostConnectionsMessage(t *testing.T) {
	b, srv := simBroker(t)
	run := subscribeBehindAFullPipe(t, b, srv, "/queue/rc")
	conn, pr, errb, cmd, ctx := run.conn, run.pr, run.errb, run.cmd, run.ctx
	require.NotZero(t, conn)
	require.NoError(t, b.CloseConnection(conn))
	eventually(t, "the client reconnected", func() bool { return strings.Contains(errb.String(), "stomp: reconnected") })
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	err := cmd.Wait()
	require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
	assert.NoError(t, err, "stderr: %s", errb.String())
	assert.NotContains(t, errb.String(), "acknowledging message")
}

// pipedSubscribe is a `subscribe --reconnect --count 2` run whose first
// message (300 KB) fills its stdout pipe, nobody reading: its handler is
// inside the write, with a second message behind it.
type pipedSubscribe struct {
	conn int // the subscriber's connection at the broker
	pr   *os.File
	errb *syncBuffer
	cmd  *exec.Cmd
	ctx  context.Context
}

func subscribeBehindAFullPipe(t *testing.T, b *sim.Broker, srv, queue string) pipedSubscribe {
	t.Helper()
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--file", bigBody(t, 300_000), queue)
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", srv, "--receipt", queue, "m2")
	require.Equal(t, 0, r.code, r.stderr)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	t.Cleanup(func() { _ = pr.Close() })
	capacity := pipeCapacity(t, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "--reconnect", "--count", "2", queue)
	errb := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = pw, errb
	require.NoError(t, cmd.Start())
	require.NoError(t, pw.Close())
	// The handler is inside the write of the first message: the pipe is full.
	eventually(t, "the pipe full", func() bool { return queued(pr) == capacity })
	conn := 0
	for _, c := range b.Connections() {
		if len(c.Subscriptions) > 0 {
			conn = c.Conn
		}
	}
	return pipedSubscribe{conn: conn, pr: pr, errb: errb, cmd: cmd, ctx: ctx}
}

// stomp broker reports its flow gate from a goroutine of its own: a stderr
// that does not take the line (a pipe nobody drains) does not freeze the
// broker, and Ctrl-C still ends it.
func TestBrokerServesWithABlockedStderr(t *testing.T) {
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	_, err = pw.Write(make([]byte, pipeCapacity(t, pw))) // full: the next write blocks
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "broker", "--listen", "127.0.0.1:0", "--max-queued", "1")
	cmd.Stderr = pw
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	srv := "stomp://" + listenAddr(t, line)

	// Two messages: more than --max-queued, so the publishers pause and the
	// hook prints the pause.
	send := stomp(t, "", "send", "--server", srv, "--count", "2", "/queue/frozen", "x")
	t.Logf("send: exit %d, %s", send.code, send.stderr)
	// A consumer drains them (what resumes publishers in a healthy broker).
	r := stomp(t, "", "subscribe", "--server", srv, "--timeout", "3s", "--count", "2", "--wait", "5s", "/queue/frozen")
	assert.Equal(t, 0, r.code, "the broker serves a consumer: %s", r.stderr)
	// Ctrl-C ends the broker (exit 130) promptly.
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-exited:
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, exitInterrupted, ee.ExitCode())
		exited <- err // for the deferred receive
	case <-time.After(10 * time.Second):
		t.Error("the broker did not end within 10s of SIGINT")
	}
}

// The client ack modes subscribe with a prefetch (the count, else 255): a
// worker slow to print does not hold the whole backlog from a competing
// consumer.
func TestClientAckKeepsAPrefetch(t *testing.T) {
	b, srv := simBroker(t)
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--count", "1000", "/queue/work", "job")
	require.Equal(t, 0, r.code, r.stderr)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	_, err = pw.Write(make([]byte, pipeCapacity(t, pw))) // a worker stuck on its output
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	worker := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "--ack", "client-individual", "/queue/work")
	worker.Stdout = pw
	require.NoError(t, worker.Start())
	require.NoError(t, pw.Close())
	defer func() { _ = worker.Process.Kill(); _ = worker.Wait() }()
	eventually(t, "the worker served", func() bool { d, _ := b.Destination("/queue/work"); return d.Unacked >= 255 })
	other := stomp(t, "", "subscribe", "--server", srv, "--count", "1", "--wait", "2s", "/queue/work")
	d, _ := b.Destination("/queue/work")
	t.Logf("held unacknowledged by the stuck worker: %d, ready: %d", d.Unacked, d.Ready)
	assert.Equal(t, 0, other.code, "a second consumer gets a message: %s", other.stderr)
	assert.LessOrEqual(t, d.Unacked, 256, "the stuck worker holds at most its prefetch")
}
