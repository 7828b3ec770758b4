//go:build linux

package main

import (
	"io"
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
	run := subscribeBehindAFullPipe(t, b, srv, "/queue/rc3")
	conn, pr, errb, cmd, ctx := run.conn, run.pr, run.errb, run.cmd, run.ctx
	require.Equal(t, 3, conn)
	require.NoError(t, b.CloseConnection(conn))
	// The client noticed: it is reconnecting, and conn 4 is held for 5 s.
	eventually(t, "the client reconnecting", func() bool { return strings.Contains(errb.String(), "stomp: reconnecting") })
	require.NotContains(t, errb.String(), "stomp: reconnected")
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	err := cmd.Wait()
	require.NoError(t, ctx.Err(), "hung; stderr: %s", errb.String())
	t.Logf("stderr:\n%s", errb.String())
	assert.NoError(t, err, "with --reconnect only giving up ends the run")
	assert.NotContains(t, errb.String(), "acknowledging message")
}

// --count with --reconnect: every ACK waits for its RECEIPT, so one lost
// with its connection is known: a warning names the message. It counts
// as printed (a run that waited for it to come again could wait for ever:
// TestSubscribeReconnectCountEndsWhenAnAckReceiptIsLost), and so does its
// copy when it comes again: a message counted twice is never silent, and
// the one not printed in its place stays on the broker.
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
	if twice {
		assert.Contains(t, r.stderr, "message m-1 was printed but its connection was lost before its ACK was confirmed")
		assert.Equal(t, 1, d.Ready+d.Unacked, "m2, not printed, stays on the broker")
	}
}
