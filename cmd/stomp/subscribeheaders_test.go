package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// subscribeFrames returns the SUBSCRIBE frames connection conn received,
// once it has closed (an open one's frames may still change, and a
// connection closing between two looks would be seen twice).
func subscribeFrames(t *testing.T, b *sim.Broker, conn int) []*frames.Frame {
	t.Helper()
	var c sim.ConnInfo
	eventually(t, fmt.Sprintf("connection %d closed", conn), func() bool {
		var ok bool
		c, ok = b.ClosedConnection(conn)
		return ok
	})
	var out []*frames.Frame
	for _, f := range c.Received {
		if f.Command == frames.CmdSubscribe {
			out = append(out, f)
		}
	}
	return out
}

// subscribe -H puts each header on SUBSCRIBE as given (split at its first
// colon), and --reconnect puts them on the resubscription too.
func TestSubscribeHeaders(t *testing.T) {
	// conn 1: the send; 2: the subscriber, dropped before its first
	// MESSAGE; 3: its reconnection.
	b, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "lose-first", Kind: sim.DropConn, Conn: 2,
		Dir: sim.ToClient, OnCommand: frames.CmdMessage}}))
	r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/sub-h", "m1")
	require.Equal(t, 0, r.code, r.stderr)
	r = stomp(t, "", "subscribe", "--server", srv, "--reconnect", "--count", "1",
		"-H", "x-queue-type:quorum", "--header", "selector:color = 'red' AND size > 1:2", "/queue/sub-h")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "m1\n", r.stdout)
	for _, conn := range []int{2, 3} {
		subs := subscribeFrames(t, b, conn)
		require.Len(t, subs, 1, "conn %d", conn)
		assert.Equal(t, "quorum", subs[0].Header("x-queue-type"), "conn %d", conn)
		assert.Equal(t, "color = 'red' AND size > 1:2", subs[0].Header("selector"), "conn %d", conn)
	}
}

// A -H that is not name:value, one the client writes itself (the prefetch
// among them) or one the negotiated version cannot carry is bad usage:
// exit 2, saying which.
func TestSubscribeBadHeaders(t *testing.T) {
	srv := newSim(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-H", "no-colon"}, `-H "no-colon": want name:value`},
		{[]string{"-H", ":v"}, `-H ":v": want name:value`},
		{[]string{"-H", "id:mine"}, `-H id: the client writes the "id" header itself`},
		{[]string{"-H", "ack:client"}, "from --ack"},
		{[]string{"-H", "destination:/queue/other"}, "from the DESTINATION argument"},
		{[]string{"-H", "receipt:r1"}, `the client writes the "receipt" header itself`},
		{[]string{"-H", "prefetch-count:5"}, "subscribe sets the prefetch itself"},
		{[]string{"--count", "1", "-H", "activemq.prefetchSize:5"}, "subscribe sets the prefetch itself"},
		{[]string{"--stomp-version", "1.0", "-H", "x-k:a\nb"}, `"x-k" cannot be sent`},
	} {
		args := append(append([]string{"subscribe", "--server", srv}, tt.args...), "/queue/sub-h-bad")
		r := stomp(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tt.args, r.stderr)
		assert.Contains(t, r.stderr, tt.want, "%v", tt.args)
	}
}
