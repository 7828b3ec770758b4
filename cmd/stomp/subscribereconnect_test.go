package main

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// subscribe --reconnect --count N whose last ACK the broker applied but
// whose RECEIPT was lost with the connection: the message never comes
// again, so a run that did not count it would wait for ever. It counts
// (the warning says the message may come again), and the run ends once N
// messages are printed.
func TestSubscribeReconnectCountEndsWhenAnAckReceiptIsLost(t *testing.T) {
	// conn 1: the send; 2: the subscriber, dropped just before the
	// RECEIPT of its ACK (the broker applied the ACK).
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "lose-ack-receipt", Kind: sim.DropConn, Conn: 2,
		Dir: sim.ToClient, OnCommand: frames.CmdReceipt}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/rc-count", "m1")
	require.Equal(t, 0, r.code, r.stderr)
	// No --wait: the run must end by itself, bounded here.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "subscribe", "--server", srv, "--reconnect", "--count", "1", "/queue/rc-count")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	t.Logf("stdout %q\nstderr:\n%s", out.String(), errb.String())
	require.NoError(t, ctx.Err(), "subscribe --count 1 waited for ever after printing its message")
	// Leaving while reconnecting waits for no end of a connection: none
	// is to come.
	assert.Less(t, took, settleWait, "the run waited for the end of a connection it did not have")
	assert.NoError(t, err)
	assert.Equal(t, "m1\n", out.String())
	assert.Contains(t, errb.String(), "warning: message m-1 was printed but its connection was lost before its ACK was confirmed")
	assert.Len(t, b.FaultEvents(), 1, "the ACK's RECEIPT was dropped with its connection")
	d, _ := b.Destination("/queue/rc-count")
	assert.Equal(t, 0, d.Ready+d.Unacked, "the broker applied the ACK")
}
