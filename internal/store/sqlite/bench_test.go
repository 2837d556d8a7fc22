package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/herald-dev/herald/internal/store/sqlite"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// runConcurrent runs storetest.BenchApply on a fresh store.
func runConcurrent(b *testing.B, callers, perApply int) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	storetest.BenchApply(b, s, callers, perApply, func() (uint64, uint64) {
		st := s.Stats()
		return st.Applies, st.Transactions
	}, "applies/tx")
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
