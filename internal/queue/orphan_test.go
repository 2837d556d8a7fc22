package queue_test

import (
	"context"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

// Messages whose queue was dropped before they were deleted (a crash in
// the middle of DeleteQueue) are removed when the engine starts.
func TestOrphanedMessagesRemovedAtStart(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	ops := []queue.Op{{Kind: queue.OpPutQueue, Queue: &queue.QueueRecord{ID: 5, Account: "1", Name: "gone"}}}
	for seq := int64(1); seq <= 2500; seq++ {
		ops = append(ops, queue.Op{Kind: queue.OpPutMessage, Message: &queue.MessageRecord{QueueID: 5, Seq: seq, ID: "m", Body: "b"}})
	}
	ops = append(ops, queue.Op{Kind: queue.OpDropQueue, QueueID: 5})
	if err := s.Apply(ctx, ops); err != nil {
		t.Fatal(err)
	}
	e, err := queue.Open(ctx, queue.Options{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Messages) != 0 || len(snap.Queues) != 0 {
		t.Errorf("after start: %d queues, %d messages; want none", len(snap.Queues), len(snap.Messages))
	}
}
