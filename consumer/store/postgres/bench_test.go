package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/herald-dev/herald/consumer/store/postgres"
	"github.com/herald-dev/herald/consumer/store/storetest"
)

// BenchmarkClaimComplete measures the consumer's dedupe path: 16 goroutines
// each Claim a batch of 10 new keys, then Complete it with 2 entity
// versions. One op is one batch; msgs/s counts keys. Needs
// HERALD_TEST_POSTGRES_URL.
func BenchmarkClaimComplete(b *testing.B) {
	url := testURL(b)
	for _, conns := range []int{8, 16} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: newSchema(b, url), MaxConns: conns})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			storetest.BenchClaimComplete(b, s)
		})
	}
}
