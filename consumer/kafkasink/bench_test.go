package kafkasink

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/herald-dev/herald/internal/metrics"
)

// BenchmarkDeliver measures Deliver throughput from many goroutines into one
// topic of a kfake cluster (3 brokers, 3 partitions), with the default
// configuration: idempotent, acks all. The consumer calls Deliver from one
// goroutine per event in flight, so the goroutine count, not GOMAXPROCS,
// sets the concurrency. cpu-µs/event is the process's CPU per event, the
// producer's and kfake's together.
//
//	go test -run '^$' -bench BenchmarkDeliver -benchtime 100000x ./consumer/kafkasink/
func BenchmarkDeliver(b *testing.B) {
	for _, goroutines := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			c := newCluster(b, kfake.SeedTopics(partitions, "prod-archive-new"))
			s := newSink(b, c, Config{Topics: []string{"prod-archive-new"}, Key: "{{.Key}}"})
			ev := s3Event(1)
			// Warm up: metadata, producer id, connections.
			if err := s.Deliver(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(max(1, goroutines/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			cpu0, cpuOK := metrics.ProcessCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Deliver(context.Background(), ev); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			// The process's CPU per event: the producer's and, in the same
			// process, kfake's.
			if cpu1, ok := metrics.ProcessCPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/event")
			}
		})
	}
}
