package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/metrics"
)

// Shape of BenchClaimComplete: the consumer's expected load.
const (
	BenchGoroutines = 16 // concurrent callers
	BenchBatch      = 10 // keys per Claim and Complete
	benchEntities   = 1000
)

// BenchClaimComplete is the body of every store's BenchmarkClaimComplete:
// BenchGoroutines goroutines each Claim a batch of BenchBatch new keys,
// then Complete it with 2 entity versions, b.N batches in all. It reports
// msgs/s, the keys claimed and completed per second, and cpu-µs/msg, the
// process's CPU time per key (for a store in this process: the client's
// share alone for one behind a server, such as PostgreSQL).
func BenchClaimComplete(b *testing.B, s consumer.Store) {
	ctx := context.Background()
	var next atomic.Int64
	var worker atomic.Int64
	b.SetParallelism(max(1, BenchGoroutines/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	cpu0, cpuOK := metrics.ProcessCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		owner := fmt.Sprintf("bench-%d", worker.Add(1))
		keys := make([]string, BenchBatch)
		versions := make([]consumer.EntityVersion, 2)
		for pb.Next() {
			n := next.Add(1)
			for i := range keys {
				// Random-looking keys, as message ids and hashes are: each
				// lands on its own page of the store's index.
				keys[i] = fmt.Sprintf("%016x%016x", mix(uint64(n)*BenchBatch+uint64(i)), uint64(n))
			}
			states, err := s.Claim(ctx, owner, 30_000_000_000, keys)
			if err != nil {
				b.Error(err)
				return
			}
			for i, st := range states {
				if st != consumer.Claimed {
					b.Errorf("key %s: %v", keys[i], st)
					return
				}
			}
			for i := range versions {
				versions[i] = consumer.EntityVersion{
					Entity:  fmt.Sprintf("entity-%d", (n*2+int64(i))%benchEntities),
					Version: n,
				}
			}
			if err := s.Complete(ctx, owner, keys, versions); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*BenchBatch)/b.Elapsed().Seconds(), "msgs/s")
	if cpu1, ok := metrics.ProcessCPU(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(b.N*BenchBatch), "cpu-µs/msg")
	}
}

// mix scrambles x (splitmix64's finaliser): distinct inputs give distinct,
// evenly spread outputs.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
