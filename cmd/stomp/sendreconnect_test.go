//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
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

// loseConnAt50 is a simulator whose first connection is dropped
// when the 50th SEND arrives.
func loseConnAt50(t *testing.T, opts ...sim.Option) (*sim.Broker, string) {
	return simBroker(t, append(opts, sim.WithPlan(sim.Plan{{Name: "lose-conn", Kind: sim.DropConn, Conn: 1,
		Dir: sim.ToServer, OnCommand: frames.CmdSend, Nth: 50}}))...)
}

// `stomp send --reconnect --count 200` (no --receipt) whose connection is
// lost mid-stream never claims what it cannot know: DISCONNECT's RECEIPT
// would come on the new connection and say nothing of the messages
// written on the lost one, so the run counts each message's own RECEIPT
// (at least once), and its exit 0 and "sent N/200" line hold on the
// broker.
func TestSendReconnectNeverClaimsLostMessages(t *testing.T) {
	b, srv := loseConnAt50(t)
	r := stomp(t, "", "send", "--server", srv, "--reconnect", "--count", "200", "/queue/send-rc", "m")
	got := ready(b, "/queue/send-rc")
	t.Logf("exit %d, %d of 200 on the broker, stderr:\n%s", r.code, got, r.stderr)
	assert.False(t, r.code == 0 && got < 200,
		"exit 0 (%q) with only %d of 200 messages on the broker", strings.TrimSpace(r.stderr), got)
	m := sentSummary.FindStringSubmatch(r.stderr)
	require.NotNil(t, m, "no summary line")
	claimed, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.LessOrEqual(t, claimed, got, "the summary claims more than the broker has")
}

// `stomp send --reconnect --receipt --count 200` whose connection is lost
// once mid-stream goes on once reconnected and sends all 200 (a copy of
// the message in flight allowed), as --reconnect promises, rather than
// end with exit 1 at the first loss.
func TestSendReconnectGoesOnAfterALostConnection(t *testing.T) {
	b, srv := loseConnAt50(t)
	r := stomp(t, "", "send", "--server", srv, "--reconnect", "--receipt", "--count", "200", "/queue/send-rc", "m")
	got := ready(b, "/queue/send-rc")
	t.Logf("exit %d, %d of 200 on the broker, stderr:\n%s", r.code, got, r.stderr)
	assert.Equal(t, 0, r.code, "stomp send --reconnect ended at the first lost connection")
	assert.GreaterOrEqual(t, got, 200, "messages on the broker")
}

// send --reconnect whose reconnection never comes back within --timeout:
// the oldest message on its way when the connection was lost is
// unconfirmed, so the run fails (exit 1), names it, and claims no more
// than the broker has. One at a time (--window 1) that is message 50, the
// one the broker never got; with the window, the RECEIPTs of the 49
// before it may have been lost with the connection too, and the message
// named is the first whose RECEIPT did not come, right after the ones
// claimed.
func TestSendReconnectOutageLongerThanTimeoutFails(t *testing.T) {
	for _, window := range []string{"1", "256"} {
		t.Run("window "+window, func(t *testing.T) {
			plan := sim.Plan{{Name: "lose-conn", Kind: sim.DropConn, Conn: 1, Dir: sim.ToServer, OnCommand: frames.CmdSend, Nth: 50}}
			for c := 2; c <= 40; c++ { // every reconnection held, unserved
				plan = append(plan, sim.Fault{Name: fmt.Sprintf("outage-%d", c), Kind: sim.StallAccept, Conn: c})
			}
			b, srv := simBroker(t, sim.WithPlan(plan))
			r := stomp(t, "", "send", "--server", srv, "--reconnect", "--window", window, "--timeout", "1s", "--count", "200", "/queue/send-rc", "m")
			got := ready(b, "/queue/send-rc")
			t.Logf("exit %d, %d of 200 on the broker, stderr:\n%s", r.code, got, r.stderr)
			assert.Equal(t, 1, r.code)
			assert.NotContains(t, r.stderr, "stays in the outbox", "the run ends: the outbox does not keep it")
			m := sentSummary.FindStringSubmatch(r.stderr)
			require.NotNil(t, m, "no summary line")
			claimed, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			assert.Contains(t, r.stderr, fmt.Sprintf("message %d not confirmed (it may or may not have arrived)", claimed+1))
			if window == "1" {
				assert.Equal(t, 49, claimed, "the summary counts the messages confirmed")
			} else {
				assert.LessOrEqual(t, claimed, 49, "the summary counts the messages confirmed")
			}
			assert.LessOrEqual(t, claimed, got)
		})
	}
}

// An interrupted send --reconnect whose connection was lost on the way
// counts as confirmed only the messages whose own RECEIPT came (all on
// the broker), and never takes DISCONNECT's RECEIPT, maybe from another
// connection, as proof of the others.
func TestInterruptedSendReconnectCountsOnlyConfirmed(t *testing.T) {
	b, srv := loseConnAt50(t, sim.WithMaxQueued(math.MaxInt32)) // a flood: see floodBroker
	q := "/queue/send-rc-int"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "send", "--server", srv, "--reconnect", "--count", "100000000", q, "x")
	var errb syncBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	eventually(t, "messages on "+q+" after the reconnect", func() bool {
		d, _ := b.Destination(q)
		return d.Enqueued > 100
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	_ = cmd.Wait()
	require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), errb.String())
	eventually(t, "the sender's connection gone", func() bool { return len(b.Connections()) == 0 })
	d, _ := b.Destination(q)
	stderr := errb.String()
	t.Logf("broker got %d; stderr:\n%s", d.Enqueued, stderr)
	assert.Contains(t, stderr, "stomp: reconnected")
	m := regexp.MustCompile(`interrupted: (\d+) confirmed, (\d+) sent but not confirmed \(may or may not have arrived\)`).FindStringSubmatch(stderr)
	require.NotNil(t, m, "no interrupted line: %q", stderr)
	confirmed, _ := strconv.Atoi(m[1])
	assert.Greater(t, confirmed, 100)
	assert.LessOrEqual(t, confirmed, int(d.Enqueued), "confirmed messages missing on the broker")
	assert.NotContains(t, stderr, "confirmed DISCONNECT")
}

// send --lines --reconnect interrupted with its input open: each line
// went out at least once, confirmed by its own RECEIPT.
func TestInterruptedSendLinesReconnectSaysHowFarItGot(t *testing.T) {
	b, srv := simBroker(t)
	q := "/queue/send-rc-lines"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "send", "--server", srv, "--lines", "--reconnect", q)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var errb syncBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	for i := 0; i < 50; i++ {
		_, err := fmt.Fprintf(stdin, "line %d\n", i)
		require.NoError(t, err)
	}
	eventually(t, "lines on "+q, func() bool { d, _ := b.Destination(q); return d.Enqueued >= 50 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	_ = cmd.Wait()
	_ = stdin.Close()
	require.NoError(t, ctx.Err())
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode())
	assert.Contains(t, errb.String(), "interrupted: 50 confirmed, 0 sent but not confirmed (may or may not have arrived)")
}

// --transaction cannot survive a reconnect, and --dedup-header only means
// something with --reconnect: both refused as bad usage, before any
// server is tried, as is a --dedup-header the client writes itself.
func TestSendReconnectRefusesWhatCannotWork(t *testing.T) {
	srv := newSim(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--reconnect", "--transaction", "t1"}, "--transaction does not go with --reconnect"},
		{[]string{"--dedup-header", "message-key"}, "--dedup-header goes with --reconnect"},
		{[]string{"--reconnect", "--dedup-header", "destination"}, "DedupHeader"},
		{[]string{"--reconnect", "--dedup-header", "content-type"}, "DedupHeader"},
	} {
		args := append(append([]string{"send", "--server", srv}, tt.args...), "/queue/send-rc-bad", "m")
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tt.args, r.stderr)
		assert.Contains(t, r.stderr, tt.want, "%v", tt.args)
	}
}

// --dedup-header gives each message an id of its own, which a consumer
// sees; a copy a resend makes carries the same one.
func TestSendReconnectDedupHeader(t *testing.T) {
	srv := newSim(t)
	r := stomp(t, "", "send", "--server", srv, "--reconnect", "--dedup-header", "message-key", "--count", "3", "/queue/send-rc-dedup", "m")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--count", "3", "--json", "-v", "/queue/send-rc-dedup")
	require.Equal(t, 0, r.code, r.stderr)
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m jsonMessage
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		require.NotEmpty(t, m.Headers["message-key"], line)
		ids[m.Headers["message-key"]] = true
	}
	assert.Len(t, ids, 3, "one id per message")
}

// The same against the RabbitMQ cluster: `stomp send --reconnect
// --receipt` into a quorum queue, with the three nodes as --server, node 1
// killed mid-stream, goes on through node 2 and sends all 3000. Skipped
// without the cluster, and unless STOMPACTOR_ALLOW_BROKER_RESTART=1 (it
// kills a node).
func TestSendReconnectAcrossClusterNodeKill(t *testing.T) {
	addrs, ctl, restart, dir := os.Getenv("STOMPACTOR_CLUSTER_ADDRS"), os.Getenv("STOMPACTOR_CLUSTER_CTL"),
		os.Getenv("STOMPACTOR_CLUSTER_RESTART"), os.Getenv("STOMPACTOR_BROKERS_DIR")
	if addrs == "" || ctl == "" || restart == "" || dir == "" {
		t.Skip("STOMPACTOR_CLUSTER_* not set (scripts/brokers/up.sh rabbitmq-cluster starts the cluster)")
	}
	if os.Getenv("STOMPACTOR_ALLOW_BROKER_RESTART") != "1" {
		t.Skip("kills a cluster node: run with STOMPACTOR_ALLOW_BROKER_RESTART=1")
	}
	name := fmt.Sprintf("send-rc-cli-%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = exec.Command(ctl, "delete_queue", name).Run() })
	t.Cleanup(func() { _ = exec.Command(restart, dir, "rabbitmq-cluster:1", "--start").Run() })
	args := []string{"send", "--reconnect", "--receipt", "--count", "3000",
		"-H", "x-queue-type:quorum", "-H", "persistent:true"}
	nodes := strings.Split(addrs, ",")
	for _, a := range nodes {
		args = append(args, "--server", "stomp://guest:guest@"+a+"/")
	}
	args = append(args, "/queue/"+name, "m")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	// Kill node 1 once the queue holds some of the messages.
	queued := func(node string) int {
		o, err := exec.Command(ctl, "-n", node, "list_queues", "-q", "name", "messages").Output()
		if err != nil {
			return -1
		}
		for _, line := range strings.Split(string(o), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == name {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
		return 0
	}
	nodeNames := strings.Split(os.Getenv("STOMPACTOR_CLUSTER_NODES"), ",")
	deadline := time.Now().Add(60 * time.Second)
	for queued(nodeNames[1]) < 100 {
		require.True(t, time.Now().Before(deadline), "no messages queued; stderr: %s", errb.String())
		time.Sleep(50 * time.Millisecond)
	}
	o, err := exec.Command(restart, dir, "rabbitmq-cluster:1", "--kill").CombinedOutput()
	require.NoError(t, err, "%s", o)
	err = cmd.Wait()
	require.NoError(t, ctx.Err(), "stomp send hung; stderr: %s", errb.String())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	t.Logf("exit %d; stderr:\n%s", code, strings.ReplaceAll(errb.String(), "\r", "\n"))
	assert.Equal(t, 0, code, "stomp send --reconnect with three --server ended at the first node kill")
	deadline = time.Now().Add(30 * time.Second)
	for queued(nodeNames[1]) < 3000 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	assert.GreaterOrEqual(t, queued(nodeNames[1]), 3000, "messages in the quorum queue")
}

// --config ReconnectStableAfter=MS sets how long a connection must stay
// up for the reconnect backoff to start over (api.Reconnect.StableAfter),
// which had no setting name: `--config` refused it as unknown. A value
// out of range is a usage error naming it.
func TestReconnectStableAfterIsSetByConfig(t *testing.T) {
	srv := newSim(t)
	r := stomp(t, "", "send", "--server", srv, "--reconnect", "--config", "ReconnectStableAfter=500", "/queue/stable-after", "x")
	assert.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", srv, "--reconnect", "--config", "ReconnectStableAfter=-1", "/queue/stable-after", "x")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--config ReconnectStableAfter: ")
	assert.NotContains(t, r.stderr, "unknown")
}
