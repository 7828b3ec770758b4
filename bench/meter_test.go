package bench

import (
	"runtime"
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
	require.GreaterOrEqual(t, out.GCCPUShare, 0.0)
	require.LessOrEqual(t, out.GCCPUShare, 1.0)
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
// outside it, is mostly the collector's (the share was taken from the
// last collection before the meter started, spinning included: 2.5%),
// and a measure that did nothing but spin, without allocating, gives the
// collector little.
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
	m = startMeter()
	x += spin(300 * time.Millisecond)
	spinning := m.stop(1, 0)
	t.Logf("GC CPU share: %.3f of a measure that collected, %.3f of one that spun (x=%d)", collecting.GCCPUShare, spinning.GCCPUShare, x&1)
	assert.Greater(t, collecting.GCCPUShare, 0.2, "a measure that was collections")
	assert.Less(t, spinning.GCCPUShare, 0.1, "a measure that spun")
}
