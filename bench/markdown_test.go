package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteMarkdown(t *testing.T) {
	rep := &Report{Results: []Result{
		{Scenario: "publish", Chart: ChartThroughput, Size: 100, Peer: "sink, own process", Ratio: 0.64,
			Raw: Measure{MsgPerSec: 4.32e6}, Ours: Measure{MsgPerSec: 2.76e6, CPUMicrosPerMsg: 0.36}},
		{Scenario: "latency", Chart: ChartLatency, Size: 4096, Peer: "sim, own process", Ratio: 1.5, RatioP99: 1.35,
			Raw:  Measure{Latency: &Latency{P50us: 60, P99us: 152}},
			Ours: Measure{Latency: &Latency{P50us: 90, P99us: 205}, CPUMicrosPerMsg: 64.05, AllocsPerMsg: 14}},
		{Scenario: "connections", Chart: ChartMemory, Peer: "sim, own process",
			Raw:  Measure{Conns: &ConnsMeasure{N: 10000, RSSPerConn: 4614, HeapPerConn: 1453, StackPerConn: 2064, GoroutinesPerConn: 1, AllocPerConn: 3866, ConnectSeconds: 0.87, DeliveriesPerSec: 284.5e3}},
			Ours: Measure{Conns: &ConnsMeasure{N: 10000, RSSPerConn: 20478, HeapPerConn: 11753, StackPerConn: 4158, GoroutinesPerConn: 1, AllocPerConn: 12089, ConnectSeconds: 2.15, DeliveriesPerSec: 175.9e3}}},
	}}
	var b strings.Builder
	assert.NoError(t, rep.WriteMarkdown(&b))
	want := `| scenario (peer) | body | raw loop | stompactor | ratio | CPU µs/msg | allocs/msg |
|---|---|---|---|---|---|---|
| publish (sink, own process) | 100 B | 4.32 M/s | 2.76 M/s | 0.64 | 0.36 | 0.0 |
| latency (sim, own process), p50 / p99 | 4 KiB | 60 / 152 µs | 90 / 205 µs | 1.50 / 1.35 | 64.05 | 14 |

| connections (peer) | side | resident B/conn | heap B/conn | stack B/conn | goroutines/conn | allocated B/conn | connect all | deliveries/s |
|---|---|---|---|---|---|---|---|---|
| 10000 (sim, own process) | raw | 4614 | 1453 | 2064 | 1.00 | 3866 | 0.87 s | 284.5 k |
| 10000 (sim, own process) | stompactor | 20478 | 11753 | 4158 | 1.00 | 12089 | 2.15 s | 175.9 k |
`
	assert.Equal(t, want, b.String())
}

// A latency result without percentiles (a scenario added with Register
// whose measure fills no Latency) prints "-" in the progress line, the
// Markdown and the table: the first two dereferenced it and panicked.
func TestLatencyWithoutPercentilesPrintsADash(t *testing.T) {
	r := Result{Scenario: "custom-latency", Chart: ChartLatency, Size: 100, Peer: "none",
		Raw: Measure{Messages: 1}, Ours: Measure{Messages: 1}}
	rep := &Report{Results: []Result{r}}
	var md, table strings.Builder
	var line string
	require.NotPanics(t, func() { line = r.summary() })
	require.NotPanics(t, func() { assert.NoError(t, rep.WriteMarkdown(&md)) })
	require.NotPanics(t, func() { assert.NoError(t, rep.WriteTable(&table)) })
	assert.Contains(t, line, "p50 raw - µs, ours - µs")
	assert.Contains(t, md.String(), "| - / - µs | - / - µs |")
	assert.Contains(t, table.String(), "custom-latency")
}
