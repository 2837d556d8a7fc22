package memory_test

import (
	"context"
	"testing"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/memory"
	"github.com/herald-dev/herald/consumer/store/storetest"
)

// The memory store passes the conformance suite, except that its state
// lives in one value: every handle of one test shares it, as processes
// share a database file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.OpenFunc {
		s := memory.New()
		return func(context.Context) (consumer.Store, error) { return s, nil }
	})
}

// BenchmarkClaimComplete is the dedupe path of storetest's shared load on
// the memory store: the floor any durable store adds its writes to.
func BenchmarkClaimComplete(b *testing.B) {
	storetest.BenchClaimComplete(b, memory.New())
}
