package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The connections scenario as `stomp bench --scenario connections` runs
// it by default (no --peer-process, no ClientProcess): the sides are
// measured in this process, so the simulator runs in a process of its
// own (this test binary, run again), and the figures are the clients'
// alone: the raw reference, "a socket and one goroutine", has one
// goroutine and a few KB of heap per connection. Before, the simulator
// ran in the measuring process and each side was charged with its state
// for every connection: 3 goroutines and ~100 KB of heap per raw
// connection, a resident ratio of 1.1 where it is 2.8 measured apart.
func TestConnsFiguresLeaveOutAnInProcessBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Scenarios: []string{"connections"}, Connections: 200, Fanout: 1, Timeout: 20 * time.Second})
	require.NoError(t, err)
	r := rep.Results[0]
	require.NotNil(t, r.Raw.Conns)
	t.Logf("raw: %.2f goroutines, %.0f heap B, %.0f resident B per connection; ratio %.2f",
		r.Raw.Conns.GoroutinesPerConn, r.Raw.Conns.HeapPerConn, r.Raw.Conns.RSSPerConn, r.Ratio)
	assert.InDelta(t, 1.0, r.Raw.Conns.GoroutinesPerConn, 0.1, "the raw client has one goroutine per connection; the rest is the in-process broker's")
	assert.Less(t, r.Raw.Conns.HeapPerConn, 10e3, "the raw client keeps a 512 B buffer per connection")
	assert.Contains(t, r.Peer, "own process", "the report says where the broker ran")
	assert.Less(t, r.Ours.Conns.GoroutinesPerConn, 1.0, "the client parks an idle connection's reader: no broker goroutine counted")
}
