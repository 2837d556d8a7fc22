package postgres_test

import (
	"testing"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/storetest"
)

// BenchmarkStore runs the shared benchmarks (storetest.Bench): Append of
// batches of 100 events from 8 goroutines (events/s), and Claim of up to
// 256 then Finish from 8 goroutines (deliveries/s). Needs
// HERALD_TEST_POSTGRES_URL.
func BenchmarkStore(b *testing.B) {
	url := testURL(b)
	storetest.Bench(b, func(b *testing.B) store.Store {
		return openStore(b, url, newSchema(b, url), 16)
	})
}
