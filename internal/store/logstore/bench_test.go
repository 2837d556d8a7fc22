package logstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// The benchmarks are internal/store/sqlite's (storetest.BenchApply, same
// names, records, callers and metrics), so that
//
//	go test -run '^$' -bench . ./internal/store/sqlite ./internal/store/logstore
//
// compares the two stores line by line. applies/frame is the logstore's
// applies/tx: how many Apply calls share one group commit.

// runConcurrent runs storetest.BenchApply on a fresh store.
func runConcurrent(b *testing.B, callers, perApply int) {
	s, err := logstore.Open(context.Background(), b.TempDir(), logstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	storetest.BenchApply(b, s, callers, perApply, func() (uint64, uint64) {
		st := s.Stats()
		return st.Applies, st.Commits
	}, "applies/frame")
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
