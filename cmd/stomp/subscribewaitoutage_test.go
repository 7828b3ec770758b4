//go:build linux

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// `stomp subscribe --reconnect --wait 1s Q` (drain a queue, surviving
// losses) whose connection is lost and whose reconnection takes longer
// than --wait does not take the outage for a quiet queue: the wait does
// not run while the client reconnects, so the run goes on once the
// connection is back and ends (exit 0) with the queue drained.
func TestSubscribeReconnectWaitDoesNotRunDuringAnOutage(t *testing.T) {
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{
		// conn 1 is the sender; conn 2 the subscriber, lost at its 5th ACK;
		// its reconnection (conn 3) is held 3s, longer than --wait.
		{Name: "lose-sub", Kind: sim.DropConn, Conn: 2, Dir: sim.ToServer, OnCommand: frames.CmdAck, Nth: 5},
		{Name: "slow-back", Kind: sim.StallAccept, Conn: 3, Delay: 3 * time.Second},
	}))
	var in strings.Builder
	for i := 1; i <= 20; i++ {
		in.WriteString("m\n")
	}
	r := stomp(t, in.String(), "send", "--server", srv, "--lines", "/queue/wait-outage")
	assert.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--reconnect", "--wait", "1s", "--ack", "client-individual", "/queue/wait-outage")
	eventually(t, "the subscriber gone", func() bool { return len(b.Connections()) == 0 })
	left := ready(b, "/queue/wait-outage")
	t.Logf("exit %d, %d lines printed, %d left on the broker; stderr:\n%s", r.code, strings.Count(r.stdout, "\n"), left, r.stderr)
	assert.False(t, r.code == 0 && left > 0,
		"exit 0 (the destination went quiet) with %d messages still on the broker: the outage was taken for a drained queue", left)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Zero(t, left, "messages left on the broker")
	assert.Contains(t, r.stderr, "reconnected")
}
