package logstore_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// The benchmarks mirror internal/store/sqlite/bench_test.go (same names,
// records, callers and metrics), so that
//
//	go test -run '^$' -bench . ./internal/store/sqlite ./internal/store/logstore
//
// compares the two stores line by line. applies/frame is the logstore's
// applies/tx: how many Apply calls share one group commit.

func benchStore(b *testing.B) *logstore.Store {
	b.Helper()
	s, err := logstore.Open(context.Background(), b.TempDir(), logstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	q := storetest.Queue(1)
	if err := s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		b.Fatal(err)
	}
	return s
}

var body256 = strings.Repeat("b", 256)

func benchMessage(seq int64) queue.MessageRecord {
	return queue.MessageRecord{
		QueueID: 1, Seq: seq, ID: "5fea7756-0ea4-451a-a703-a558b933e274", Body: body256,
		SenderID: "AIDAEXAMPLE", SentAt: 1700000000000, VisibleAt: 1700000000000000000,
	}
}

// runConcurrent runs b.N Apply calls from callers goroutines, each call
// putting perApply messages, and reports throughput and group sizes.
func runConcurrent(b *testing.B, callers, perApply int) {
	s := benchStore(b)
	var seq atomic.Int64
	par := max(1, callers/runtime.GOMAXPROCS(0)) // RunParallel starts par*GOMAXPROCS goroutines
	b.SetParallelism(par)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ops := make([]queue.Op, perApply)
		msgs := make([]queue.MessageRecord, perApply)
		for pb.Next() {
			for i := range ops {
				msgs[i] = benchMessage(seq.Add(1))
				ops[i] = queue.Op{Kind: queue.OpPutMessage, Message: &msgs[i]}
			}
			if err := s.Apply(context.Background(), ops); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := s.Stats()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "applies/s")
	b.ReportMetric(float64(b.N*perApply)/sec, "msgs/s")
	if st.Commits > 0 {
		b.ReportMetric(float64(st.Applies)/float64(st.Commits), "applies/frame")
	}
}

// BenchmarkApply: 16 goroutines putting 256-byte messages, one or ten per
// Apply (SendMessage and SendMessageBatch).
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) { runConcurrent(b, 16, n) })
	}
}

// BenchmarkApplyConcurrent measures single-message Applies (256-byte body)
// from many goroutines: the group-commit path.
func BenchmarkApplyConcurrent(b *testing.B) {
	for _, callers := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) { runConcurrent(b, callers, 1) })
	}
}

// BenchmarkApplyBatch10 measures Applies of 10 messages each from 16
// goroutines, as SendMessageBatch makes them.
func BenchmarkApplyBatch10(b *testing.B) {
	runConcurrent(b, 16, 10)
}
