package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A panel with no positive value (a result of zeros) is drawn empty,
// titled "(no data)": it made the plotting library fail ("Values must be
// greater than 0 for a log scale") and took every chart with it.
func TestChartsSurviveAnEmptyPanel(t *testing.T) {
	rep := &Report{Results: []Result{
		{Scenario: "publish", Chart: ChartThroughput, Size: 100, Peer: "sink", Ratio: 0.5,
			Raw: Measure{MsgPerSec: 2e6}, Ours: Measure{MsgPerSec: 1e6}},
		{Scenario: "consume-auto", Chart: ChartThroughput, Size: 100, Peer: "firehose"},
		{Scenario: "latency", Chart: ChartLatency, Size: 100, Peer: "sim",
			Raw: Measure{Latency: &Latency{}}, Ours: Measure{Latency: &Latency{}}},
	}}
	for _, format := range []string{"png", "svg"} {
		files, err := rep.WriteCharts(t.TempDir(), format)
		assert.NoError(t, err, format)
		assert.Len(t, files, 2, "%s: throughput and latency charts", format)
	}
}
