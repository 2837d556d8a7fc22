package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/sqlite"
	"github.com/herald-dev/herald/publisher/store/storetest"
)

// BenchmarkStore runs storetest.Bench (Append in batches of 100 from 8
// goroutines; Claim of up to 256 and Finish from 8 goroutines):
//
//	go test -run '^$' -bench . -benchtime 20000x ./publisher/store/sqlite/
func BenchmarkStore(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts sqlite.Options
	}{
		{"default", sqlite.Options{}},
		{"full-sync", sqlite.Options{FullSync: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			storetest.Bench(b, func(b *testing.B) store.Store {
				s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				return s
			})
		})
	}
}
