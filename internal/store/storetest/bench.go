package storetest

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/metrics"
	"github.com/herald-dev/herald/internal/queue"
)

var body256 = strings.Repeat("b", 256)

func benchMessage(seq int64) queue.MessageRecord {
	return queue.MessageRecord{
		QueueID: 1, Seq: seq, ID: "5fea7756-0ea4-451a-a703-a558b933e274", Body: body256,
		SenderID: "AIDAEXAMPLE", SentAt: 1700000000000, VisibleAt: 1700000000000000000,
	}
}

// BenchApply runs b.N Apply calls on s from callers goroutines, each call
// putting perApply 256-byte messages into queue 1 (which it creates), and
// reports applies/s and msgs/s. groups, if not nil, returns the store's
// committed Applies and group commits since it opened; their ratio is
// reported as groupUnit (how many Applies share one commit).
func BenchApply(b *testing.B, s queue.Store, callers, perApply int, groups func() (applies, commits uint64), groupUnit string) {
	q := Queue(1)
	if err := s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	par := max(1, callers/runtime.GOMAXPROCS(0)) // RunParallel starts par*GOMAXPROCS goroutines
	b.SetParallelism(par)
	b.ReportAllocs()
	cpu0, _ := metrics.ProcessCPU()
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
	if cpu, ok := metrics.ProcessCPU(); ok {
		// The store's CPU (the callers' loop is a small part of it),
		// kernel time of its writes and syncs included.
		b.ReportMetric(float64(cpu-cpu0)/float64(time.Microsecond)/float64(b.N*perApply), "cpu-µs/msg")
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "applies/s")
	b.ReportMetric(float64(b.N*perApply)/sec, "msgs/s")
	if groups != nil {
		if applies, commits := groups(); commits > 0 {
			b.ReportMetric(float64(applies)/float64(commits), groupUnit)
		}
	}
}
