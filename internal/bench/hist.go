package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in log-linear buckets, in the manner of an HDR
// histogram: values below subBuckets nanoseconds are exact, and every larger
// value falls in a bucket whose width is at most 1/halfBuckets (about 1.6%)
// of its lower bound. It covers the whole int64 range in fixed memory, so one
// Histogram per goroutine is cheap, and histograms merge exactly.
//
// The zero value is not usable; call NewHistogram. A Histogram is not safe
// for concurrent use.
type Histogram struct {
	counts []uint64
	total  uint64
	sum    float64 // nanoseconds, for the mean
	min    int64
	max    int64
}

const (
	subBits     = 7
	subBuckets  = 1 << subBits   // 128 exact values before the first log bucket
	halfBuckets = subBuckets / 2 // buckets per power of two above that
	// numBuckets covers shifts 1..63-subBits+1 for values up to MaxInt64.
	numBuckets = subBuckets + (64-subBits)*halfBuckets
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, numBuckets), min: math.MaxInt64}
}

// bucketOf returns the bucket index of v (v >= 0).
func bucketOf(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits // >= 1
	top := int(v >> uint(shift))             // in [halfBuckets, subBuckets)
	return subBuckets + (shift-1)*halfBuckets + (top - halfBuckets)
}

// bucketHigh returns the largest value that falls in bucket i.
func bucketHigh(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	j := i - subBuckets
	shift := j/halfBuckets + 1
	top := int64(j%halfBuckets + halfBuckets)
	hi := (top+1)<<uint(shift) - 1
	if hi < 0 { // the last bucket overflows int64
		return math.MaxInt64
	}
	return hi
}

// Record adds one latency. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.total++
	h.sum += float64(v)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max returns the largest value recorded, exactly (0 when empty).
func (h *Histogram) Max() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.max)
}

// Min returns the smallest value recorded, exactly (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.min)
}

// Mean returns the arithmetic mean of the recorded values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Percentile returns the value below or at which p percent of the recorded
// values fall (nearest-rank definition), as the highest value equivalent to
// it within the histogram's precision, never above Max. p is clamped to
// [0, 100]; an empty histogram returns 0.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	if p <= 0 {
		return time.Duration(h.min)
	}
	if p >= 100 {
		return time.Duration(h.max)
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(max(bucketHigh(i), h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// ExactPercentile returns the nearest-rank percentile p of sorted, a slice in
// ascending order: the reference the histogram is tested against.
func ExactPercentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
