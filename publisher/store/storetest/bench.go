package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
)

// Shape of Bench: the publisher's expected load.
const (
	// BenchGoroutines is the number of concurrent callers of Append, and
	// of Claim and Finish.
	BenchGoroutines = 8
	// BenchAppendBatch is the number of events per Append, each going to
	// one subscription.
	BenchAppendBatch = 100
	// BenchClaimLimit is the limit of each Claim.
	BenchClaimLimit = 256
	// benchEntities is the number of entities events are spread over.
	benchEntities = 10_000
)

// Bench runs the benchmarks every implementation reports, each on a new
// store from open (called once per run of a sub-benchmark):
//
//   - Append: BenchGoroutines goroutines Append batches of
//     BenchAppendBatch events of benchEntities entities, one delivery each;
//     b.N batches in all. It reports events/s.
//   - ClaimFinish: b.N deliveries of distinct entities are appended before
//     the timer starts; then BenchGoroutines goroutines Claim up to
//     BenchClaimLimit and Finish them as delivered until none is left. It
//     reports deliveries/s.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("Append", func(b *testing.B) { benchAppend(b, open(b)) })
	b.Run("ClaimFinish", func(b *testing.B) { benchClaimFinish(b, open(b)) })
}

// benchEvent returns event n of the benchmark, going to sub-bench.
func benchEvent(prefix string, n int64, entity int64) store.NewEvent {
	return store.NewEvent{
		Event: &publisher.Event{
			ID:         fmt.Sprintf("%s-evt-%010d", prefix, n),
			Tenant:     "bench",
			EntityType: "photo",
			EntityID:   fmt.Sprint(entity),
			Type:       "photo.status_changed",
			Status:     "DOWNLOADED",
			OccurredAt: time.Now(),
			Data:       []byte(`{"url":"https://photos.example.com/1419977.jpg","size":183211,"person":{"organization":{"id":42}}}`),
		},
		Subscriptions: []string{"sub-bench"},
		DeliveryIDs:   []string{fmt.Sprintf("%s-dlv-%010d", prefix, n)},
	}
}

func benchSetup(b *testing.B, s store.Store) context.Context {
	ctx := context.Background()
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
	su := sub("sub-bench", "bench")
	if err := s.CreateSubscription(ctx, su); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(max(1, BenchGoroutines/runtime.GOMAXPROCS(0)))
	return ctx
}

// benchFill appends events [from, to) with BenchGoroutines goroutines.
func benchFill(b *testing.B, s store.Store, prefix string, from, to int64, entity func(n int64) int64) {
	ctx := context.Background()
	var next atomic.Int64
	next.Store(from)
	var wg sync.WaitGroup
	for range BenchGoroutines {
		wg.Go(func() {
			batch := make([]store.NewEvent, 0, BenchAppendBatch)
			for {
				start := next.Add(BenchAppendBatch) - BenchAppendBatch
				if start >= to {
					return
				}
				batch = batch[:0]
				for n := start; n < min(start+BenchAppendBatch, to); n++ {
					batch = append(batch, benchEvent(prefix, n, entity(n)))
				}
				if _, err := s.Append(ctx, batch); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func benchAppend(b *testing.B, s store.Store) {
	ctx := benchSetup(b, s)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		batch := make([]store.NewEvent, BenchAppendBatch)
		for pb.Next() {
			start := (next.Add(1) - 1) * BenchAppendBatch
			for i := range batch {
				n := start + int64(i)
				batch[i] = benchEvent("a", n, mix(n)%benchEntities)
			}
			if _, err := s.Append(ctx, batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*BenchAppendBatch)/b.Elapsed().Seconds(), "events/s")
}

func benchClaimFinish(b *testing.B, s store.Store) {
	ctx := benchSetup(b, s)
	benchFill(b, s, "c", 0, int64(b.N), func(n int64) int64 { return n })
	var delivered atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for w := range BenchGoroutines {
		owner := fmt.Sprintf("bench-%d", w)
		wg.Go(func() {
			results := make([]store.Result, 0, BenchClaimLimit)
			for {
				now := time.Now().Add(time.Minute)
				ds, err := s.Claim(ctx, owner, time.Minute, BenchClaimLimit, now)
				if err != nil {
					b.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				results = results[:0]
				for _, d := range ds {
					results = append(results, store.Result{DeliveryID: d.ID, Outcome: store.Delivered,
						StartedAt: now, Duration: time.Millisecond, Detail: "HTTP 200"})
				}
				n, err := s.Finish(ctx, owner, results)
				if err != nil {
					b.Error(err)
					return
				}
				delivered.Add(int64(n))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if got := delivered.Load(); got != int64(b.N) {
		b.Errorf("%d deliveries delivered, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// mix scrambles x (splitmix64's finaliser), spreading events over entities.
func mix(x int64) int64 {
	u := uint64(x)
	u ^= u >> 30
	u *= 0xbf58476d1ce4e5b9
	u ^= u >> 27
	u *= 0x94d049bb133111eb
	return int64((u ^ u>>31) >> 1)
}
