//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// connectedBytes is the length of the CONNECTED frame the simulator
// writes to the CLI's first connection (STOMP 1.2, no heart-beats).
func connectedBytes(t *testing.T) int64 {
	f := frames.New(frames.CmdConnected, frames.HdrVersion, "1.2", frames.HdrSession, "sim-1",
		frames.HdrServer, "stompactor-sim/1.0", frames.HdrHeartBeat, "0,0")
	b, err := frames.AppendFrame(nil, f, frames.V12)
	require.NoError(t, err)
	return int64(len(b))
}

// receiptsHeld is a simulator that writes nothing to its first
// connection after CONNECTED (so not one RECEIPT) until the test clears
// the fault "hold", while it goes on reading and queuing the SENDs.
func receiptsHeld(t *testing.T) (*sim.Broker, string) {
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "hold", Kind: sim.StallWrites, Conn: 1, AfterBytes: connectedBytes(t)}}))
	return b, srv
}

// startSend starts the binary with args, its stderr and stdout kept.
func startSend(ctx context.Context, t *testing.T, args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	return cmd, &out, &errb
}

// send --receipt keeps many messages in flight: with every RECEIPT held
// back by the broker, it still gets the window's worth of SENDs to the
// broker (one at a time, it would stop at the first and wait), and not
// one more; once the RECEIPTs flow, all 2000 are confirmed. Seen on the
// broker's side: SENDs queued while not one RECEIPT was written.
func TestSendReceiptKeepsAWindowOfMessagesInFlight(t *testing.T) {
	for _, c := range []struct {
		args   []string
		window int
	}{
		{nil, 256}, // the default
		{[]string{"--window", "7"}, 7},
		{[]string{"--reconnect"}, 256},
	} {
		t.Run(fmt.Sprint(c.args), func(t *testing.T) {
			b, srv := receiptsHeld(t)
			q := "/queue/window"
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append(append([]string{"send", "--server", srv, "--receipt", "--count", "2000"}, c.args...), q, "m")
			cmd, _, errb := startSend(ctx, t, args...)
			eventually(t, "the window's SENDs on the broker while no RECEIPT was written", func() bool {
				d, _ := b.Destination(q)
				return d.Enqueued >= uint64(c.window)
			})
			d, _ := b.Destination(q)
			assert.EqualValues(t, c.window, d.Enqueued, "SENDs before the first RECEIPT: the window, no more")
			require.NoError(t, b.Clear("hold"))
			_ = cmd.Wait()
			require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
			assert.Equal(t, 0, cmd.ProcessState.ExitCode(), errb.String())
			assert.Contains(t, errb.String(), "sent 2000/2000")
			d, _ = b.Destination(q)
			assert.EqualValues(t, 2000, d.Enqueued)
		})
	}
}

// --window out of range, without a RECEIPT to wait for, or above 1 in a
// transaction, and --window-bytes below 1 or without a RECEIPT, are bad
// usage (exit 2), refused before any server is tried.
func TestSendWindowRefusesWhatCannotWork(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--receipt", "--window", "0"}, "--window must be between 1 and"},
		{[]string{"--receipt", "--window", "-3"}, "--window must be between 1 and"},
		{[]string{"--reconnect", "--window", "2000000"}, "--window must be between 1 and"},
		{[]string{"--window", "8"}, "--window goes with --receipt or --reconnect"},
		{[]string{"--receipt", "--transaction", "t1", "--window", "8"}, "--window does not go with --transaction"},
		{[]string{"--receipt", "--window-bytes", "0"}, "--window-bytes must be at least 1"},
		{[]string{"--reconnect", "--window-bytes", "-5"}, "--window-bytes must be at least 1"},
		{[]string{"--window-bytes", "100"}, "--window-bytes goes with --receipt or --reconnect"},
	} {
		args := append(append([]string{"send", "--server", "stomp://127.0.0.1:1"}, tt.args...), "/queue/w-bad", "m")
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tt.args, r.stderr)
		assert.Contains(t, r.stderr, tt.want, "%v", tt.args)
	}
}

// --window-bytes bounds the bodies in flight: with every RECEIPT held
// back, the broker gets as many messages as fit in the bound (4 bodies of
// 1000 bytes in 4500), from --count or from --lines (a record read that
// does not fit waits), and a body larger than the bound goes alone; once
// the RECEIPTs flow, every message is sent and confirmed.
func TestSendWindowBytesBoundTheBodiesInFlight(t *testing.T) {
	body := strings.Repeat("b", 1000)
	for _, c := range []struct {
		name   string
		args   []string // the flags and, with --count, the body after the queue
		stdin  string
		flight int
	}{
		{"count", []string{"--count", "20", "--window-bytes", "4500", "/queue/w-bytes", body}, "", 4},
		{"lines", []string{"--lines", "--window-bytes", "4500", "/queue/w-bytes"}, strings.Repeat(body+"\n", 20), 4},
		{"larger than the bound", []string{"--count", "20", "--window-bytes", "999", "/queue/w-bytes", body}, "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, srv := receiptsHeld(t)
			q := "/queue/w-bytes"
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append([]string{"send", "--server", srv, "--receipt"}, c.args...)...)
			cmd.Stdin = strings.NewReader(c.stdin)
			var errb syncBuffer
			cmd.Stderr = &errb
			require.NoError(t, cmd.Start())
			eventually(t, "the bound's SENDs on the broker while no RECEIPT was written", func() bool {
				d, _ := b.Destination(q)
				return d.Enqueued >= uint64(c.flight)
			})
			d, _ := b.Destination(q)
			assert.EqualValues(t, c.flight, d.Enqueued, "SENDs before the first RECEIPT: what the bound holds, no more")
			require.NoError(t, b.Clear("hold"))
			_ = cmd.Wait()
			require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
			assert.Equal(t, 0, cmd.ProcessState.ExitCode(), errb.String())
			d, _ = b.Destination(q)
			assert.EqualValues(t, 20, d.Enqueued)
		})
	}
}

// The count a windowed run reports, and its exit code, are of the
// messages confirmed by their own RECEIPT: the connection lost where the
// 100th RECEIPT was due leaves at most 99 confirmed (fewer when the reset
// connection lost some of the RECEIPTs the broker wrote before it) and
// the rest in flight unconfirmed, and the error names the first
// unconfirmed, right after them.
func TestSendWindowCountsOnlyConfirmations(t *testing.T) {
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "cut", Kind: sim.DropConn, OnCommand: frames.CmdReceipt, Nth: 100}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--window", "64", "--count", "1000", "/queue/w-cut", "m")
	t.Logf("stderr:\n%s", r.stderr)
	assert.Equal(t, exitFailure, r.code)
	m := sentSummary.FindStringSubmatch(r.stderr)
	require.NotNil(t, m, "no summary line")
	claimed, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.LessOrEqual(t, claimed, 99)
	assert.Contains(t, r.stderr, fmt.Sprintf("sent %d/1000", claimed))
	assert.Contains(t, r.stderr, fmt.Sprintf("message %d not confirmed (it may or may not have arrived)", claimed+1))
	d, _ := b.Destination("/queue/w-cut")
	assert.GreaterOrEqual(t, d.Enqueued, uint64(claimed))
	assert.LessOrEqual(t, d.Enqueued, uint64(claimed+64), "no more than the window past the RECEIPTs that came")
}

// A server ERROR in place of a RECEIPT ends a windowed run: exit 1, the
// ERROR printed, and the count of confirmations no higher than what the
// broker has.
func TestSendWindowStopsAtAServerError(t *testing.T) {
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "refuse", Kind: sim.SendError, ReceiptOf: 100, Message: "queue full"}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--window", "32", "--count", "1000", "/queue/w-err", "m")
	t.Logf("stderr:\n%s", r.stderr)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "stomp: server ERROR: queue full\n")
	m := sentSummary.FindStringSubmatch(r.stderr)
	require.NotNil(t, m, "no summary line")
	claimed, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	d, _ := b.Destination("/queue/w-err")
	assert.GreaterOrEqual(t, claimed, 99)
	assert.Less(t, claimed, 1000, "message 100 was refused")
	assert.LessOrEqual(t, claimed, int(d.Enqueued))
	assert.LessOrEqual(t, d.Enqueued, uint64(100+32), "sending stopped at the ERROR")
}

// --transaction keeps the one-at-a-time path (the outbox refuses a
// transacted message): with --receipt it still commits, --window 1
// included, and nothing is delivered before the COMMIT.
func TestSendTransactionKeepsOneAtATime(t *testing.T) {
	b, srv := simBroker(t)
	for _, extra := range [][]string{nil, {"--window", "1"}} {
		q := "/queue/w-tx" + strings.Join(extra, "")
		args := append(append([]string{"send", "--server", srv, "--receipt", "--transaction", "t1", "--count", "150"}, extra...), q, "m")
		r := stomp(t, "", args...)
		require.Equal(t, 0, r.code, "%v: %s", extra, r.stderr)
		assert.Contains(t, r.stderr, "sent 150/150")
		d, _ := b.Destination(q)
		assert.EqualValues(t, 150, d.Enqueued)
	}
}

// Interrupted with every RECEIPT held back, a windowed run sends no
// more, waits its grace for the ones in flight and says they were sent
// but not confirmed: all the window, none confirmed.
func TestInterruptedSendWindowCountsWhatIsInFlight(t *testing.T) {
	b, srv := receiptsHeld(t)
	q := "/queue/w-int"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, _, errb := startSend(ctx, t, "send", "--server", srv, "--receipt", "--window", "40",
		"--config", "DisconnectTimeout=1", "--count", "100000", q, "m")
	eventually(t, "the window on the broker", func() bool { d, _ := b.Destination(q); return d.Enqueued >= 40 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	_ = cmd.Wait()
	require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), errb.String())
	assert.Contains(t, errb.String(), "interrupted: 0 confirmed, 40 sent but not confirmed (may or may not have arrived); the first not confirmed is message 1")
	d, _ := b.Destination(q)
	assert.EqualValues(t, 40, d.Enqueued)
}

// Interrupted once the RECEIPTs flow again, the messages in flight are
// confirmed within the grace and counted so, and every one counted
// confirmed is on the broker.
func TestInterruptedSendWindowWaitsForTheOnesInFlight(t *testing.T) {
	b, srv := receiptsHeld(t)
	q := "/queue/w-int-ok"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, _, errb := startSend(ctx, t, "send", "--server", srv, "--receipt", "--window", "40", "--count", "100000", q, "m")
	eventually(t, "the window on the broker", func() bool { d, _ := b.Destination(q); return d.Enqueued >= 40 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, b.Clear("hold"))
	_ = cmd.Wait()
	require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), errb.String())
	eventually(t, "the sender's connection gone", func() bool { return len(b.Connections()) == 0 })
	m := regexp.MustCompile(`interrupted: (\d+) confirmed, 0 sent but not confirmed`).FindStringSubmatch(errb.String())
	require.NotNil(t, m, "stderr: %s", errb.String())
	n, _ := strconv.Atoi(m[1])
	d, _ := b.Destination(q)
	assert.GreaterOrEqual(t, n, 40)
	assert.EqualValues(t, n, d.Enqueued, "confirmed and on the broker")
}

// Windowed messages go out in input order, and a lost connection keeps
// it: the outbox sends its messages again in order on the next one, so
// the first copies a consumer sees are in input order (a copy of a
// message whose RECEIPT was lost may come again after later ones).
func TestSendWindowKeepsInputOrder(t *testing.T) {
	var in strings.Builder
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&in, "%d\n", i)
	}
	for name, args := range map[string][]string{
		"receipt":   {"--receipt", "--window", "16"},
		"reconnect": {"--reconnect", "--window", "64"},
		"bytes":     {"--receipt", "--window", "16", "--window-bytes", "5"}, // records held for room
	} {
		t.Run(name, func(t *testing.T) {
			var b *sim.Broker
			var srv string
			if name == "reconnect" {
				b, srv = loseConnAt50(t)
			} else {
				b, srv = simBroker(t)
			}
			q := "/queue/w-order-" + name
			r := stomp(t, in.String(), append(append([]string{"send", "--server", srv, "--lines"}, args...), q)...)
			require.Equal(t, 0, r.code, r.stderr)
			d, _ := b.Destination(q)
			r = stomp(t, "", "subscribe", "--server", srv, "--count", strconv.Itoa(int(d.Enqueued)), "--json", q)
			require.Equal(t, 0, r.code, r.stderr)
			seen := map[int]bool{}
			var first []int
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				var m jsonMessage
				require.NoError(t, json.Unmarshal([]byte(line), &m))
				n, err := strconv.Atoi(m.Body)
				require.NoError(t, err)
				if !seen[n] {
					seen[n] = true
					first = append(first, n)
				}
			}
			require.Len(t, first, 300)
			for i, n := range first {
				require.Equal(t, i+1, n, "first copies out of input order: %v", first)
			}
		})
	}
}

// --trace goes with the window: each confirmed message's trace id is
// printed, one per message, in the order they were sent, and each is the
// one its message carries.
func TestSendWindowTrace(t *testing.T) {
	srv := newSim(t)
	q := "/queue/w-trace"
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--window", "8", "--trace", "--count", "20", q, "traced")
	require.Equal(t, 0, r.code, r.stderr)
	sent := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, sent, 20, r.stdout)
	for _, line := range sent {
		assert.Regexp(t, traceIDLine, line)
	}
	r = stomp(t, "", "subscribe", "--server", srv, "--trace", "--count", "20", q)
	require.Equal(t, 0, r.code, r.stderr)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.HasPrefix(line, "trace-id: ") {
			got = append(got, line)
		}
	}
	assert.Equal(t, sent, got, "the ids printed are the ones the messages carry, in order")
}

// A server ERROR that names no message, on a connection the server keeps
// open, ends a windowed run with exit 1; once the messages in flight have
// settled, the run says that every message it sent was confirmed, so a
// script knows there is none to send again.
func TestSendWindowServerErrorNamingNoMessageSaysAllWereConfirmed(t *testing.T) {
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "boom", Kind: sim.SendError, OnCommand: frames.CmdReceipt, Nth: 50, Message: "boom"}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--window", "32", "--count", "1000", "/queue/w-boom", "m")
	t.Logf("stderr:\n%s", r.stderr)
	assert.Equal(t, exitFailure, r.code)
	m := regexp.MustCompile(`all (\d+) messages sent were confirmed`).FindStringSubmatch(r.stderr)
	require.NotNil(t, m, "nothing says every message sent was confirmed: %s", r.stderr)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.Contains(t, r.stderr, fmt.Sprintf("sent %d/1000", n))
	d, _ := b.Destination("/queue/w-boom")
	assert.EqualValues(t, n, d.Enqueued, "every message on the broker was confirmed")
}
