package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records durations in log-linear buckets: values below 64 ns
// exactly, larger ones in 32 buckets per power of two, so a quantile is
// reported within 1/32 (about 3%) of the true value, above it, never
// below. Max and Min are exact. Its memory is fixed (about 15 KiB,
// allocated at the first Record) whatever the number of values. The zero
// Histogram is empty and ready; it is not safe for concurrent use.
type Histogram struct {
	counts   []uint64
	n        uint64
	min, max int64
	sum      float64
}

const (
	subBits    = 5
	subBuckets = 1 << subBits
	numBuckets = (64 - subBits) * subBuckets
)

// bucketOf returns the bucket index of a value (nanoseconds, not negative).
func bucketOf(v int64) int {
	if v < 2*subBuckets {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1 // v is in [2^e, 2^(e+1))
	shift := e - subBits
	return (shift+1)*subBuckets + int(uint64(v)>>shift) - subBuckets
}

// bucketHigh returns the largest value bucket i holds.
func bucketHigh(i int) int64 {
	if i < 2*subBuckets {
		return int64(i)
	}
	shift := i/subBuckets - 1
	sub := int64(i%subBuckets) + subBuckets
	return (sub+1)<<shift - 1
}

// Record adds one duration; a negative one counts as zero.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	if h.counts == nil {
		h.counts = make([]uint64, numBuckets)
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
}

// Count returns the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Min returns the smallest value recorded, 0 when empty.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max returns the largest value recorded, 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the average, 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the value at quantile q (0.5 for the median, 0.999 for
// the 99.9th percentile): the upper end of the bucket holding the
// ceil(q*n)-th smallest value, and never more than Max. It returns 0 when
// the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketHigh(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, numBuckets)
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}
