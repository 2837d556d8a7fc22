package logstore_test

import (
	"context"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

func open(t *testing.T, dir string) queue.Store {
	t.Helper()
	s, err := logstore.Open(context.Background(), dir, logstore.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, open)
}

// With segments of 4 KiB, every few commits move to a new segment, and the
// suite exercises rolling, dead-segment removal and compaction.
func TestConformanceSmallSegments(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dir string) queue.Store {
		t.Helper()
		s, err := logstore.Open(context.Background(), dir, logstore.Options{SegmentBytes: 4096})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}
