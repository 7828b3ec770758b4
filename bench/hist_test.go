package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramBuckets(t *testing.T) {
	// Every value lands in a bucket whose upper end is at or above it and
	// within 1/32 of it; indexes grow with values.
	prev := -1
	for _, v := range []int64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 1<<20 + 1, 123456789, 1 << 40, 1<<62 + 12345} {
		i := bucketOf(v)
		require.Less(t, i, numBuckets, v)
		require.GreaterOrEqual(t, i, prev, v)
		prev = i
		hi := bucketHigh(i)
		assert.GreaterOrEqual(t, hi, v, "bucket of %d", v)
		assert.LessOrEqual(t, float64(hi-v), float64(v)/32+1, "bucket of %d too wide", v)
		if i > 0 {
			assert.Less(t, bucketHigh(i-1), v, "bucket below %d still holds it", v)
		}
	}
}

func TestHistogramQuantilesAgainstSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var all []time.Duration
	for range 100000 {
		// Log-normal-ish round trips between ~20 µs and ~20 ms.
		d := time.Duration(20000 * (1 + rng.ExpFloat64()*rng.ExpFloat64()*10))
		h.Record(d)
		all = append(all, d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := all[int(q*float64(len(all)))-1]
		got := h.Quantile(q)
		assert.GreaterOrEqual(t, got, exact, "q%v", q)
		assert.LessOrEqual(t, float64(got-exact), float64(exact)/32+1, "q%v: %v vs %v", q, got, exact)
	}
	assert.Equal(t, all[len(all)-1], h.Max())
	assert.Equal(t, all[0], h.Min())
	assert.Equal(t, h.Max(), h.Quantile(1))
	assert.Equal(t, uint64(len(all)), h.Count())
}

func TestHistogramEdges(t *testing.T) {
	var h Histogram
	assert.Zero(t, h.Quantile(0.5))
	assert.Zero(t, h.Mean())
	h.Record(-5 * time.Second) // counts as zero
	assert.Zero(t, h.Max())
	h.Record(3 * time.Microsecond)
	assert.Equal(t, 3*time.Microsecond, h.Quantile(0.99), "never above Max")
	assert.Equal(t, time.Duration(0), h.Quantile(0))

	var a, b Histogram
	for i := range 100 {
		a.Record(time.Duration(i) * time.Microsecond)
		b.Record(time.Duration(i+100) * time.Microsecond)
	}
	a.Merge(&b)
	a.Merge(&Histogram{})
	assert.Equal(t, uint64(200), a.Count())
	assert.Equal(t, 199*time.Microsecond, a.Max())
	assert.Equal(t, time.Duration(0), a.Min())
	assert.InDelta(t, float64(100*time.Microsecond), float64(a.Quantile(0.5)), float64(100*time.Microsecond)/32+1)
	var c Histogram
	c.Merge(&b)
	assert.Equal(t, 100*time.Microsecond, c.Min())
}
