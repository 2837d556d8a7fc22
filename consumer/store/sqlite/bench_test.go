package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/herald-dev/herald/consumer/store/sqlite"
	"github.com/herald-dev/herald/consumer/store/storetest"
)

// BenchmarkClaimComplete measures the consumer's dedupe path: 16 goroutines
// each Claim a batch of 10 new keys, then Complete it with 2 entity
// versions. One op is one batch; msgs/s counts keys.
func BenchmarkClaimComplete(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts sqlite.Options
	}{
		{"group-commit", sqlite.Options{}},
		{"no-group-commit", sqlite.Options{MaxGroup: 1}},
		{"group-commit-fullsync", sqlite.Options{FullSync: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			storetest.BenchClaimComplete(b, s)
			if st := s.Stats(); st.Transactions > 0 {
				b.ReportMetric(float64(st.Calls)/float64(st.Transactions), "calls/tx")
			}
		})
	}
}
