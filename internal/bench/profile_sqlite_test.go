//go:build sqlitebench

package bench

// With the sqlitebench build tag every in-process server of this package's
// tests and benchmarks runs on the durable SQLite store, in a temporary
// directory, so that the benchmarks of profile_test.go profile durable mode:
//
//	go test ./internal/bench -tags sqlitebench -run XXX -bench RawHTTPSend -cpuprofile cpu.out
//
// It is behind a tag because internal/store/sqlite is still changing.

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/sqlite"
)

func init() {
	var stores = map[testing.TB]*sqlite.Store{}
	reportStore = func(b *testing.B) {
		if s := stores[b]; s != nil {
			st := s.Stats()
			if st.Transactions > 0 {
				b.ReportMetric(float64(st.Applies)/float64(st.Transactions), "applies/txn")
				b.ReportMetric(float64(st.Ops)/float64(st.Transactions), "ops/txn")
				b.ReportMetric(float64(st.Transactions)/b.Elapsed().Seconds(), "txn/s")
			}
		}
	}
	newStore = func(tb testing.TB) queue.Store {
		tb.Helper()
		s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "herald.db"),
			sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = s.Close() }) // runs after the engine's Close
		stores[tb] = s
		return s
	}
}
