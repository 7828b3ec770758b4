//go:build linux

package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// With --reconnect, a message whose write ends while the client is still
// reconnecting cannot be acknowledged (not connected): the run warns and
// goes on, as it does once the client has reconnected.
func TestReconnectAckDuringTheOutageGoesOn(t *testing.T) {
	// conns 1, 2: the sends; 3: the subscriber; 4: its reconnection, held
	// unserved for 5 s (the outage).
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "outage", Kind: sim.StallAccept, Conn: 4, Delay: 5 * time.Second}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "--file", bigBody(t, 300_000), "/queue/rc3")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", srv, "--receipt", "/queue/rc3", "m2")
	require.Equal(t, 0, r.code, r.stderr)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	capacity := pipeCapacity(t, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "--reconnect", "--count", "2", "/queue/rc3")
	var errb syncBuffer
	cmd.Stdout, cmd.Stderr = pw, &errb
	require.NoError(t, cmd.Start())
	require.NoError(t, pw.Close())
	eventually(t, "the pipe full", func() bool { return queued(pr) == capacity })
	conn := 0
	for _, c := range b.Connections() {
		if len(c.Subscriptions) > 0 {
			conn = c.Conn
		}
	}
	require.Equal(t, 3, conn)
	require.NoError(t, b.CloseConnection(conn))
	// The client noticed: it is reconnecting, and conn 4 is held for 5 s.
	eventually(t, "the client reconnecting", func() bool { return strings.Contains(errb.String(), "stomp: reconnecting") })
	require.NotContains(t, errb.String(), "stomp: reconnected")
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	err = cmd.Wait()
	require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
	t.Logf("stderr:\n%s", errb.String())
	assert.NoError(t, err, "with --reconnect only giving up ends the run")
	assert.NotContains(t, errb.String(), "acknowledging message")
}

// --count with --reconnect: every ACK waits for its RECEIPT, so one lost
// with its connection is known: a warning names the message, which counts
// only once its ACK is confirmed, and no message printed stays on the
// broker.
func TestReconnectNeverCountsAMessageTwiceInSilence(t *testing.T) {
	// conns 1, 2: the sends; 3: the subscriber, whose first ACK the broker
	// never reads (the connection drops just before it).
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "lose-ack", Kind: sim.DropConn, Conn: 3,
		Dir: sim.ToServer, OnCommand: frames.CmdAck}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/dup3", "m1")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "send", "--server", srv, "--receipt", "/queue/dup3", "m2")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--reconnect", "--count", "2", "--wait", "10s", "/queue/dup3")
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	d, _ := b.Destination("/queue/dup3")
	t.Logf("left on the broker: ready %d unacked %d", d.Ready, d.Unacked)
	twice := strings.Count(r.stdout, "m1\n") > 1
	assert.False(t, r.code == 0 && twice && !strings.Contains(r.stderr, "m-1"),
		"exit 0 after --count 2 printed m1 twice (counted twice, no warning about it) while m2 stays on the broker: %q", r.stdout)
}
