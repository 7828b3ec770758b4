package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// cluster is the three-node RabbitMQ cluster scripts/brokers/up.sh starts
// (target rabbitmq-cluster), as its env file describes it.
type cluster struct {
	t     *testing.T
	dir   string   // STOMPACTOR_BROKERS_DIR
	addrs []string // STOMP listeners, node 1 (the seed) first
	nodes []string // node names, in the same order
	ctl   string   // rabbitmqctl bound to the cluster's cookie (-n NODE)
}

// clusterFromEnv skips the test when the cluster is not configured (fails
// under CI=true).
func clusterFromEnv(t *testing.T) *cluster {
	t.Helper()
	addrs := os.Getenv("STOMPACTOR_CLUSTER_ADDRS")
	if addrs == "" {
		const why = "STOMPACTOR_CLUSTER_ADDRS not set (scripts/brokers/up.sh rabbitmq-cluster starts the cluster)"
		if inCI() {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	c := &cluster{
		t:     t,
		dir:   os.Getenv("STOMPACTOR_BROKERS_DIR"),
		addrs: strings.Split(addrs, ","),
		nodes: strings.Split(os.Getenv("STOMPACTOR_CLUSTER_NODES"), ","),
		ctl:   os.Getenv("STOMPACTOR_CLUSTER_CTL"),
	}
	require.NotEmpty(t, c.dir, "STOMPACTOR_BROKERS_DIR")
	require.NotEmpty(t, c.ctl, "STOMPACTOR_CLUSTER_CTL")
	require.Len(t, c.addrs, 3, "STOMPACTOR_CLUSTER_ADDRS")
	require.Len(t, c.nodes, 3, "STOMPACTOR_CLUSTER_NODES")
	return c
}

// client connects a new client to node n (1-based) with opts.
func (c *cluster) client(n int, opts ...api.Option) *api.STOMP {
	c.t.Helper()
	host, port, err := net.SplitHostPort(c.addrs[n-1])
	require.NoError(c.t, err)
	p, err := strconv.Atoi(port)
	require.NoError(c.t, err)
	s := api.NewSTOMP(append([]api.Option{
		api.WithUser(envOr("STOMPACTOR_CLUSTER_LOGIN", "guest")),
		api.WithPassword(envOr("STOMPACTOR_CLUSTER_PASSCODE", "guest")),
		api.WithVirtualHost("/"),
		api.WithTimeout(30 * time.Second),
	}, opts...)...)
	c.t.Cleanup(s.Close)
	require.NoError(c.t, s.Connect(host, p), "connect to node %d (%s)", n, c.addrs[n-1])
	return s
}

// script runs restart.sh DIR rabbitmq-cluster:N ARGS and reports how long it took.
func (c *cluster) script(n int, args ...string) (time.Duration, error) {
	restart := envOr("STOMPACTOR_CLUSTER_RESTART", filepath.Join("..", "scripts", "brokers", "restart.sh"))
	t0 := time.Now()
	out, err := exec.Command(restart, append([]string{c.dir, fmt.Sprintf("rabbitmq-cluster:%d", n)}, args...)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("restart.sh rabbitmq-cluster:%d %v: %w\n%s", n, args, err, out)
	}
	return time.Since(t0), nil
}

// rabbitmqctl runs the cluster's rabbitmqctl against node n.
func (c *cluster) rabbitmqctl(n int, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.ctl, append([]string{"-n", c.nodes[n-1]}, args...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		return out, fmt.Errorf("rabbitmqctl -n %s %v: %w: %s%s", c.nodes[n-1], args, err, out, stderr)
	}
	return out, nil
}

// runningNodes is cluster_status's list of running nodes, as node n sees it.
func (c *cluster) runningNodes(n int) []string {
	c.t.Helper()
	out, err := c.rabbitmqctl(n, "cluster_status", "--formatter", "json")
	require.NoError(c.t, err)
	var st struct {
		RunningNodes []string `json:"running_nodes"`
	}
	require.NoError(c.t, json.Unmarshal(out, &st), "cluster_status: %s", out)
	slices.Sort(st.RunningNodes)
	return st.RunningNodes
}

// queueInfo is one queue of list_queues, as node n sees it.
func (c *cluster) queueInfo(n int, name string) map[string]any {
	c.t.Helper()
	out, err := c.rabbitmqctl(n, "list_queues", "--formatter", "json", "name", "type", "leader", "members", "online")
	require.NoError(c.t, err)
	var qs []map[string]any
	require.NoError(c.t, json.Unmarshal(out, &qs), "list_queues: %s", out)
	for _, q := range qs {
		if q["name"] == name {
			return q
		}
	}
	c.t.Fatalf("queue %s not listed by node %d: %s", name, n, out)
	return nil
}

// TestClusterQuorumQueueSurvivesNodeKill proves the cluster scripts: 100
// persistent messages confirmed by node 1 into a quorum queue are all
// consumed from node 2 after node 1 was killed (SIGKILL), and node 1 comes
// back into the cluster.
func TestClusterQuorumQueueSurvivesNodeKill(t *testing.T) {
	c := clusterFromEnv(t)
	const total = 100
	want := slices.Sorted(slices.Values(c.nodes))
	require.Equal(t, want, c.runningNodes(1), "all three nodes run as one cluster before the test")

	name := fmt.Sprintf("cluster-failover-%s-%d", runID, time.Now().UnixNano())
	dest := "/queue/" + name
	quorum := api.Header{Key: "x-queue-type", Value: "quorum"}
	t.Cleanup(func() {
		// The queue outlives the test otherwise (quorum queues are durable).
		_, _ = c.rabbitmqctl(2, "delete_queue", name)
	})

	// 1. Send through node 1; each SendMessage returns once its RECEIPT
	// (RabbitMQ's publisher confirm: a majority stored it) arrived.
	prod := c.client(1, api.WithRequestReceipts(true),
		api.WithHeader("persistent", "true"), api.WithHeader(quorum.Key, quorum.Value))
	t0 := time.Now()
	for i := range total {
		require.NoError(t, prod.SendMessage(dest, fmt.Sprintf("m-%03d", i)), "send %d", i)
	}
	t.Logf("%d persistent messages confirmed by node 1 in %v", total, time.Since(t0).Round(time.Millisecond))
	require.NoError(t, prod.Disconnect())

	q := c.queueInfo(1, name)
	require.Equal(t, "quorum", q["type"], "queue %s: %v", name, q)
	require.Len(t, q["members"], 3, "the quorum queue has a member on each node: %v", q)
	t.Logf("queue %s: leader %v, members %v", name, q["leader"], q["members"])

	// 2. Kill node 1 (the seed, and the queue's leader: it was declared there).
	restarted := false
	t.Cleanup(func() {
		if !restarted { // leave a whole cluster to the tests after this one
			if _, err := c.script(1, "--start"); err != nil {
				t.Errorf("node 1 did not come back: %v", err)
			}
		}
	})
	took, err := c.script(1, "--kill")
	require.NoError(t, err)
	killedAt := time.Now()
	t.Logf("node 1 killed (SIGKILL) in %v", took.Round(time.Millisecond))

	// 3. Consume all of them from node 2.
	var (
		mu       sync.Mutex
		seen     = map[string]int{}
		received = make(chan struct{}, 1)
	)
	cons := c.client(2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = cons.SubscribeWith(ctx, dest, api.SubscribeOptions{
		AckMode: api.AckClientIndividual,
		Headers: []api.Header{quorum},
		Handler: func(ev *api.MessageInEvent) {
			mu.Lock()
			seen[ev.Text()]++
			n := len(seen)
			mu.Unlock()
			if n == total {
				select {
				case received <- struct{}{}:
				default:
				}
			}
		},
	})
	require.NoError(t, err, "subscribe on node 2 while node 1 is down")
	select {
	case <-received:
	case <-ctx.Done():
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		t.Fatalf("only %d of %d messages received from node 2 within 60s of the kill", got, total)
	}
	t.Logf("all %d messages received from node 2, %v after the kill", total, time.Since(killedAt).Round(time.Millisecond))
	mu.Lock()
	dups := 0
	for i := range total {
		k := fmt.Sprintf("m-%03d", i)
		require.NotZero(t, seen[k], "message %s lost", k)
		dups += seen[k] - 1
	}
	mu.Unlock()
	t.Logf("duplicates: %d", dups)
	require.NoError(t, cons.Disconnect())
	q = c.queueInfo(2, name)
	require.NotEqual(t, c.nodes[0], q["leader"], "a survivor leads the queue: %v", q)
	t.Logf("queue leader now %v", q["leader"])

	// 4. Node 1 comes back into the cluster and answers STOMP again.
	took, err = c.script(1, "--start")
	require.NoError(t, err)
	restarted = true
	t.Logf("node 1 started again and back in the cluster in %v", took.Round(time.Millisecond))
	for n := 1; n <= 3; n++ {
		require.Equal(t, want, c.runningNodes(n), "node %d sees all three running", n)
	}
	back := c.client(1)
	require.NoError(t, back.Disconnect())
	// Its member of the queue is back too (recovered at boot).
	online := func(q map[string]any) int { l, _ := q["online"].([]any); return len(l) }
	deadline := time.Now().Add(30 * time.Second)
	for q = c.queueInfo(1, name); online(q) < 3 && time.Now().Before(deadline); q = c.queueInfo(1, name) {
		time.Sleep(500 * time.Millisecond)
	}
	require.Len(t, q["online"], 3, "the queue's three members are online again: %v", q)
}
