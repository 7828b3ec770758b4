package bench

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A meter counts the collections that ran during its measure and gives
// the collector's share of the CPU as a fraction.
func TestMeterCountsCollections(t *testing.T) {
	m := startMeter()
	runtime.GC()
	runtime.GC()
	out := m.stop(1, 0)
	require.InDelta(t, 2, out.GCPerSec*out.Seconds, 0.01)
	require.NotNil(t, out.GCCPUShare)
	require.GreaterOrEqual(t, *out.GCCPUShare, 0.0)
	require.LessOrEqual(t, *out.GCCPUShare, 1.0)
}

// spin keeps a CPU busy for d without allocating.
func spin(d time.Duration) uint64 {
	x := uint64(1)
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

// The collector's share covers the measure and nothing else: a measure
// of three collections of a heap to mark, after 500 ms of spinning
// outside it, is largely the collector's (the share was taken from the
// last collection before the meter started, spinning included: 2.5%).
// It is 0.25-0.7, not all: runtime.GC sweeps every span before it
// returns, work the runtime counts as the caller's, not the collector's.
func TestGCShareCoversTheMeasure(t *testing.T) {
	live := make([]*[64]byte, 1<<18) // something to mark
	for i := range live {
		live[i] = new([64]byte)
	}
	runtime.GC()
	x := spin(500 * time.Millisecond)
	m := startMeter()
	for range 3 {
		runtime.GC()
	}
	collecting := m.stop(1, 0)
	runtime.KeepAlive(live)
	require.NotNil(t, collecting.GCCPUShare, "three collections ran")
	t.Logf("GC CPU share of a measure that collected: %.3f (x=%d)", *collecting.GCCPUShare, x&1)
	assert.Greater(t, *collecting.GCCPUShare, 0.1, "a measure that was collections")
}

// A measure during which no collection ran has no GC share: the meter
// forces no collection at its end to count (it did, and a measure of
// 50 ms that allocated nothing gave the collector 3-7% of its CPU, the
// cost of that one collection; the less CPU a measure used, the more).
// Its table row prints "-" and its JSON leaves the share out.
func TestAMeasureWithoutCollectionsHasNoGCShare(t *testing.T) {
	m := startMeter()
	x := spin(50 * time.Millisecond) // CPU, and not one allocation
	out := m.stop(1, 0)
	t.Logf("a measure of %.0f ms that allocated nothing: GC/s %.0f (x=%d)", 1000*out.Seconds, out.GCPerSec, x&1)
	require.Zero(t, out.GCPerSec, "no collection ran during the measure")
	assert.Nil(t, out.GCCPUShare, "no collection ran, yet there is a GC share of %v", out.GCCPUShare)

	js, err := json.Marshal(out)
	require.NoError(t, err)
	assert.NotContains(t, string(js), "gc_cpu_share")
	rep := &Report{Results: []Result{{Scenario: "publish", Chart: ChartThroughput, Raw: out, Ours: out}}}
	var b strings.Builder
	require.NoError(t, rep.WriteTable(&b))
	row := strings.Fields(strings.Split(b.String(), "\n")[2])
	assert.Equal(t, "-", row[len(row)-1], "the GC CPU column of %q", b.String())
}
