package bench

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkReport asserts the structure of a report, never its speed: every
// scenario asked for produced a result per size, with a raw reference and
// a ratio.
func checkReport(t *testing.T, rep *Report, scenarios []string, sizes []int) {
	t.Helper()
	for _, name := range scenarios {
		sc, ok := Lookup(name)
		require.True(t, ok, name)
		want := sizes
		if !sc.Uses(SetSize) {
			want = []int{0}
		}
		for _, size := range want {
			var found *Result
			for i := range rep.Results {
				// A name may carry what changes its meaning: "pubsub 2→2".
				if r := &rep.Results[i]; (r.Scenario == name || strings.HasPrefix(r.Scenario, name+" ")) && r.Size == size {
					found = r
				}
			}
			require.NotNil(t, found, "no result for %s at %d B", name, size)
			assert.Positive(t, found.Raw.Messages, "%s %d B raw", name, size)
			assert.Positive(t, found.Ours.Messages, "%s %d B ours", name, size)
			if sc.Chart != ChartMemory {
				// Memory is measured as the process before and after the
				// connections: in a process that ran other scenarios first
				// (these tests) a GC can make the difference negative, so
				// only its structure is checked below.
				assert.Positive(t, found.Ratio, "%s %d B ratio", name, size)
			}
			assert.Equal(t, sc.Chart, found.Chart)
			if sc.Chart == ChartThroughput {
				assert.Positive(t, found.Raw.MsgPerSec, "%s %d B raw msg/s", name, size)
				assert.Positive(t, found.Ours.MsgPerSec, "%s %d B ours msg/s", name, size)
			}
			if sc.Chart == ChartMemory {
				for _, m := range []Measure{found.Raw, found.Ours} {
					require.NotNil(t, m.Conns, name)
					assert.Positive(t, m.Conns.N)
					assert.Equal(t, m.Conns.N*m.Conns.Fanout, int(m.Conns.Deliveries), "every connection got every message")
					assert.Positive(t, m.Conns.ConnectSeconds)
					assert.Positive(t, m.Conns.GoroutinesPerConn)
				}
			}
			if sc.Chart == ChartLatency {
				require.NotNil(t, found.Raw.Latency)
				require.NotNil(t, found.Ours.Latency)
				assert.LessOrEqual(t, found.Ours.Latency.P50us, found.Ours.Latency.P99us)
				assert.LessOrEqual(t, found.Ours.Latency.P99us, found.Ours.Latency.MaxUs)
				assert.Positive(t, found.RatioP99)
			}
		}
	}
}

func allNames() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return out
}

// Every scenario runs briefly against peers in this process and the
// simulator, so the harness never rots.
func TestEveryScenarioInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sizes := []int{0, 4 << 10}
	var progress bytes.Buffer
	rep, err := Run(ctx, Config{Sizes: sizes, Duration: 100 * time.Millisecond, Warmup: 20 * time.Millisecond,
		Publishers: 2, Consumers: 2, Inflight: 64, Timeout: 30 * time.Second, Progress: &progress, Connections: 200})
	require.NoError(t, err)
	checkReport(t, rep, allNames(), sizes)
	lines := 0
	for _, sc := range Scenarios() {
		if sc.Uses(SetSize) {
			lines += len(sizes)
		} else {
			lines++
		}
	}
	assert.Equal(t, lines, strings.Count(progress.String(), "\n"))

	var table, js bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	require.NoError(t, rep.WriteJSON(&js))
	for _, name := range allNames() {
		assert.Contains(t, table.String(), name)
		assert.Contains(t, js.String(), `"scenario": "`+name)
	}
	checkCharts(t, rep)
}

// checkCharts draws the report's charts in both formats and checks that
// the throughput, latency and memory ones exist and are not empty.
func checkCharts(t *testing.T, rep *Report) {
	t.Helper()
	for _, format := range []string{"png", "svg"} {
		dir := t.TempDir()
		files, err := rep.WriteCharts(dir, format)
		require.NoError(t, err)
		require.Len(t, files, 3, "throughput, latency and memory")
		for _, f := range files {
			st, err := os.Stat(f)
			require.NoError(t, err)
			assert.Greater(t, st.Size(), int64(1000), f)
		}
	}
	_, err := rep.WriteCharts(t.TempDir(), "gif")
	assert.Error(t, err)
}

// Peers in their own process (this test binary, re-run as a peer) and a
// message budget instead of a duration.
func TestPeersInTheirOwnProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Sizes: []int{100}, Duration: 10 * time.Second, Messages: 2000, Warmup: 10 * time.Millisecond,
		PeerProcess: []string{os.Args[0]}, PeerEnv: []string{peerEnv + "=1"}, Receipts: false, Connections: 200})
	require.NoError(t, err)
	checkReport(t, rep, allNames(), []int{100})
	for _, r := range rep.Results {
		assert.Contains(t, r.Peer, "own process")
		if r.Chart == ChartThroughput {
			assert.LessOrEqual(t, r.Ours.Messages, int64(2000), r.Scenario)
		}
	}
}

// With a RabbitMQ (the test scripts start one), publish runs against it
// with the raw writer to the same broker as its reference.
func TestPublishToRabbitMQ(t *testing.T) {
	addr := os.Getenv("STOMPACTOR_RABBITMQ_ADDR")
	if addr == "" {
		t.Skip("no RabbitMQ (scripts/brokers/up.sh starts one)")
	}
	login, pass := os.Getenv("STOMPACTOR_RABBITMQ_LOGIN"), os.Getenv("STOMPACTOR_RABBITMQ_PASSCODE")
	if login == "" {
		login, pass = "guest", "guest"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Scenarios: []string{"publish"}, Sizes: []int{100}, Duration: 200 * time.Millisecond,
		Broker: &Target{Addr: addr, Login: login, Passcode: pass, VHost: "/"}})
	require.NoError(t, err)
	checkReport(t, rep, []string{"publish"}, []int{100})
	assert.Equal(t, "broker "+addr, rep.Results[0].Peer)
	assert.Equal(t, addr, rep.Broker)
}

// With Lent, the scenarios that consume run with lending subscriptions
// and say so in their names; the others are as they were.
func TestLentScenarios(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Sizes: []int{100}, Duration: 100 * time.Millisecond, Warmup: 20 * time.Millisecond,
		Inflight: 64, Timeout: 30 * time.Second, Lent: true,
		Scenarios: []string{"publish", "consume-auto", "consume-client-individual", "pubsub", "latency"}})
	require.NoError(t, err)
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Scenario)
		if r.Chart == ChartThroughput {
			assert.Greater(t, r.Ours.MsgPerSec, 0.0, r.Scenario)
		}
	}
	assert.Equal(t, []string{"publish", "consume-auto lent", "consume-client-individual lent", "pubsub lent", "latency lent"}, got)
	assert.True(t, rep.Lent)
}
