package bench

import (
	"runtime"
	"testing"

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
