package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramEmpty(t *testing.T) {
	h := NewHistogram()
	for _, p := range []float64{0, 50, 99, 100} {
		if got := h.Percentile(p); got != 0 {
			t.Errorf("empty Percentile(%v) = %v, want 0", p, got)
		}
	}
	if h.Max() != 0 || h.Min() != 0 || h.Mean() != 0 || h.Count() != 0 {
		t.Errorf("empty histogram: max %v min %v mean %v count %d", h.Max(), h.Min(), h.Mean(), h.Count())
	}
}

func TestHistogramSmallValuesAreExact(t *testing.T) {
	h := NewHistogram()
	var vals []time.Duration
	for v := range 100 { // 0..99 ns: below subBuckets, so exact
		h.Record(time.Duration(v))
		vals = append(vals, time.Duration(v))
	}
	for _, p := range []float64{1, 10, 50, 90, 99, 99.9, 100} {
		if got, want := h.Percentile(p), ExactPercentile(vals, p); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", p, got, want)
		}
	}
}

func TestHistogramKnownPercentiles(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 500 * time.Millisecond}, {99, 990 * time.Millisecond}, {99.9, 999 * time.Millisecond}, {100, time.Second}, {0, time.Millisecond}} {
		got := h.Percentile(c.p)
		if relErr(got, c.want) > 1.0/halfBuckets {
			t.Errorf("Percentile(%v) = %v, want %v within %.1f%%", c.p, got, c.want, 100.0/halfBuckets)
		}
	}
	if h.Max() != time.Second || h.Min() != time.Millisecond {
		t.Errorf("max %v min %v, want exact 1s and 1ms", h.Max(), h.Min())
	}
	if got, want := h.Mean(), 500500*time.Microsecond; got != want {
		t.Errorf("mean %v, want %v", got, want)
	}
}

// TestHistogramAgainstSort checks the histogram against exact sorted
// percentiles on skewed random data: within one bucket's width, and never
// below the exact value (it reports a bucket's highest value).
func TestHistogramAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 1000, 100000} {
		h := NewHistogram()
		vals := make([]time.Duration, n)
		for i := range vals {
			// log-normal-ish latencies from ~20 µs to seconds
			v := time.Duration(math.Exp(rng.NormFloat64()*1.5+12) + 1)
			vals[i] = v
			h.Record(v)
		}
		slices.Sort(vals)
		for _, p := range []float64{0, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100} {
			got, want := h.Percentile(p), ExactPercentile(vals, p)
			if got < want || relErr(got, want) > 1.0/halfBuckets {
				t.Errorf("n=%d Percentile(%v) = %v, exact %v", n, p, got, want)
			}
		}
		if h.Max() != vals[n-1] || h.Min() != vals[0] {
			t.Errorf("n=%d max %v min %v, want %v %v", n, h.Max(), h.Min(), vals[n-1], vals[0])
		}
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b, all := NewHistogram(), NewHistogram(), NewHistogram()
	for i := range 5000 {
		v := time.Duration(i*i) * time.Nanosecond
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(b)
	a.Merge(NewHistogram()) // merging an empty one changes nothing
	if a.Count() != all.Count() || a.Max() != all.Max() || a.Min() != all.Min() || a.Mean() != all.Mean() {
		t.Fatalf("merged count/max/min/mean %d %v %v %v, want %d %v %v %v",
			a.Count(), a.Max(), a.Min(), a.Mean(), all.Count(), all.Max(), all.Min(), all.Mean())
	}
	for _, p := range []float64{10, 50, 99, 99.9} {
		if a.Percentile(p) != all.Percentile(p) {
			t.Errorf("merged Percentile(%v) = %v, want %v", p, a.Percentile(p), all.Percentile(p))
		}
	}
}

func TestHistogramExtremes(t *testing.T) {
	h := NewHistogram()
	h.Record(-5) // counts as zero
	h.Record(time.Duration(math.MaxInt64))
	if h.Min() != 0 || h.Max() != time.Duration(math.MaxInt64) {
		t.Fatalf("min %v max %v", h.Min(), h.Max())
	}
	if got := h.Percentile(99); got != time.Duration(math.MaxInt64) {
		t.Errorf("Percentile(99) = %v, want MaxInt64", got)
	}
}

// TestBucketBounds checks that every value maps to a bucket whose highest
// value is at least the value and within the promised precision.
func TestBucketBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(v int64) {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d out of range", v, i)
		}
		hi := bucketHigh(i)
		if hi < v || (v > 0 && float64(hi-v)/float64(v) > 1.0/halfBuckets) {
			t.Fatalf("value %d: bucket %d high %d", v, i, hi)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Fatalf("value %d also fits bucket %d (high %d)", v, i-1, bucketHigh(i-1))
		}
	}
	for v := range int64(5000) {
		check(v)
	}
	for range 100000 {
		check(rng.Int64())
	}
	check(math.MaxInt64)
}

func relErr(got, want time.Duration) float64 {
	if want == 0 {
		return math.Abs(float64(got))
	}
	return math.Abs(float64(got-want)) / float64(want)
}
