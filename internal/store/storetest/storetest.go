package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
)

// Run runs the conformance suite against the store that open returns. Every
// subtest gets its own directory and runs in parallel with the others.
func Run(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		run  func(h *harness)
	}{
		{"EmptyStore", testEmpty},
		{"EmptyApply", testEmptyApply},
		{"PutQueue", testPutQueue},
		{"ReplaceQueue", testReplaceQueue},
		{"DeleteQueue", testDeleteQueue},
		{"DropQueue", testDropQueue},
		{"PutMessageRoundTrip", testMessageRoundTrip},
		{"UpdateMessage", testUpdateMessage},
		{"DeleteMessage", testDeleteMessage},
		{"MissingTargets", testMissingTargets},
		{"PurgeQueue", testPurge},
		{"Dedup", testDedup},
		{"LoadSeqOrder", testSeqOrder},
		{"NextSeqNeverGoesBack", testNextSeq},
		{"NextIDNeverGoesBack", testNextID},
		{"OpsInOrder", testOpsInOrder},
		{"ConcurrentApply", testConcurrent},
		{"CancelledContext", testCancelled},
		{"Reopen", testReopen},
		{"CloseTwice", testCloseTwice},
		{"Records", testRecords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			h := &harness{t: t, open: open, dir: dir}
			h.s = open(t, dir)
			t.Cleanup(func() { _ = h.s.Close() })
			tt.run(h)
		})
	}
}

type harness struct {
	t    *testing.T
	open OpenFunc
	dir  string
	s    queue.Store
}

func (h *harness) apply(ops ...queue.Op) {
	h.t.Helper()
	if err := h.s.Apply(context.Background(), ops); err != nil {
		h.t.Fatalf("Apply: %v", err)
	}
}

func (h *harness) load() *queue.Snapshot {
	h.t.Helper()
	snap, err := h.s.Load(context.Background())
	if err != nil {
		h.t.Fatalf("Load: %v", err)
	}
	return snap
}

func (h *harness) reopen() {
	h.t.Helper()
	h.s = Reopen(h.t, h.open, h.dir, h.s)
}

// expect compares the store's queues, messages and dedup records with want
// (NextSeq and NextID are not compared).
func (h *harness) expect(want queue.Snapshot) *queue.Snapshot {
	h.t.Helper()
	snap := h.load()
	got := Normalize(snap)
	w := Normalize(&want)
	got.NextSeq, got.NextID, w.NextSeq, w.NextID = 0, 0, 0, 0
	if !reflect.DeepEqual(got.Queues, w.Queues) {
		h.t.Errorf("queues:\n got %+v\nwant %+v", got.Queues, w.Queues)
	}
	if !reflect.DeepEqual(got.Messages, w.Messages) {
		h.t.Errorf("messages:\n got %s\nwant %s", seqs(got.Messages), seqs(w.Messages))
		RequireMessages(h.t, snap, want.Messages)
	}
	if !reflect.DeepEqual(got.Dedup, w.Dedup) {
		h.t.Errorf("dedup:\n got %+v\nwant %+v", got.Dedup, w.Dedup)
	}
	return snap
}

func seqs(ms []queue.MessageRecord) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = fmt.Sprintf("%d/%d", m.QueueID, m.Seq)
	}
	return fmt.Sprint(s)
}

func putQ(r queue.QueueRecord) queue.Op { return queue.Op{Kind: queue.OpPutQueue, Queue: &r} }

func putM(r queue.MessageRecord) queue.Op { return queue.Op{Kind: queue.OpPutMessage, Message: &r} }

func putD(r queue.DedupRecord) queue.Op { return queue.Op{Kind: queue.OpPutDedup, Dedup: &r} }

func delM(queueID, seq int64) queue.Op {
	return queue.Op{Kind: queue.OpDeleteMessage, QueueID: queueID, Seq: seq}
}

func delQ(queueID int64) queue.Op { return queue.Op{Kind: queue.OpDeleteQueue, QueueID: queueID} }

func testEmpty(h *harness) {
	snap := h.expect(queue.Snapshot{})
	if snap.NextSeq < 0 || snap.NextID < 0 {
		h.t.Errorf("empty store: NextSeq=%d NextID=%d, want >= 0", snap.NextSeq, snap.NextID)
	}
}

func testEmptyApply(h *harness) {
	h.apply()
	if err := h.s.Apply(context.Background(), nil); err != nil {
		h.t.Fatalf("Apply(nil): %v", err)
	}
	h.expect(queue.Snapshot{})
}

func testPutQueue(h *harness) {
	bare := queue.QueueRecord{ID: 3, Account: "123456789012", Name: "bare.fifo"}
	h.apply(putQ(Queue(1)), putQ(Queue(2)))
	h.apply(putQ(bare))
	h.expect(queue.Snapshot{Queues: []queue.QueueRecord{Queue(1), Queue(2), bare}})
}

func testReplaceQueue(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)))
	q := Queue(1)
	q.Attributes = map[string]string{"DelaySeconds": "5"}
	q.Tags = nil
	q.ModifiedAt += 50
	h.apply(putQ(q))
	h.expect(queue.Snapshot{Queues: []queue.QueueRecord{q, Queue(2)}})
}

func testDeleteQueue(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)),
		putM(Message(1, 1)), putM(Message(2, 2)), putM(Message(1, 3)),
		putD(Dedup(1, "a", 1, 100)), putD(Dedup(2, "a", 2, 100)))
	h.apply(delQ(1))
	h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(2)},
		Messages: []queue.MessageRecord{Message(2, 2)},
		Dedup:    []queue.DedupRecord{Dedup(2, "a", 2, 100)},
	})
}

// OpDropQueue removes the queue and its dedup records and leaves its
// messages, which Load returns (as orphans) until they are deleted.
func testDropQueue(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)),
		putM(Message(1, 1)), putM(Message(2, 2)), putM(Message(1, 3)),
		putD(Dedup(1, "a", 1, 100)), putD(Dedup(2, "a", 2, 100)))
	h.apply(queue.Op{Kind: queue.OpDropQueue, QueueID: 1})
	h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(2)},
		Messages: []queue.MessageRecord{Message(1, 1), Message(2, 2), Message(1, 3)},
		Dedup:    []queue.DedupRecord{Dedup(2, "a", 2, 100)},
	})
	h.apply(queue.Op{Kind: queue.OpDeleteMessage, QueueID: 1, Seq: 1}, queue.Op{Kind: queue.OpDeleteMessage, QueueID: 1, Seq: 3})
	h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(2)},
		Messages: []queue.MessageRecord{Message(2, 2)},
		Dedup:    []queue.DedupRecord{Dedup(2, "a", 2, 100)},
	})
}

func testMessageRoundTrip(h *harness) {
	full := Message(1, 7)
	plain := PlainMessage(1, 8, "")
	big := PlainMessage(1, 9, fmt.Sprintf("%0262144d", 9)) // 256 KiB, the SQS maximum
	emptyAttrs := PlainMessage(1, 10, "x")
	emptyAttrs.Attributes = queue.MessageAttributes{}
	emptyAttrs.SystemAttributes = queue.MessageAttributes{}
	neg := PlainMessage(1, 11, "neg")
	neg.VisibleAt, neg.SentAt, neg.ReceiveCount = -1, -(1 << 62), 1<<31-1
	h.apply(putQ(Queue(1)), putM(full), putM(plain), putM(big), putM(emptyAttrs), putM(neg))
	want := queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(1)},
		Messages: []queue.MessageRecord{full, plain, big, emptyAttrs, neg},
	}
	snap := h.expect(want)
	RequireMessages(h.t, snap, want.Messages)
	// The engine mutates what Load returns; that must not reach the store.
	for i := range snap.Messages {
		snap.Messages[i].ReceiveCount = 99
		for k, v := range snap.Messages[i].Attributes {
			v.StringValue = "mutated"
			if len(v.BinaryValue) > 0 {
				v.BinaryValue[0] ^= 0xff
			}
			snap.Messages[i].Attributes[k] = v
		}
	}
	for i := range snap.Queues {
		snap.Queues[i].Attributes["VisibilityTimeout"] = "mutated"
	}
	h.expect(want)
}

func testUpdateMessage(h *harness) {
	m := Message(1, 1)
	other := Message(1, 2)
	h.apply(putQ(Queue(1)), putM(m), putM(other))
	h.apply(queue.Op{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: 1, VisibleAt: 42, ReceiveCount: 3, FirstReceiveAt: 43})
	m.VisibleAt, m.ReceiveCount, m.FirstReceiveAt = 42, 3, 43
	h.expect(queue.Snapshot{Queues: []queue.QueueRecord{Queue(1)}, Messages: []queue.MessageRecord{m, other}})
}

func testDeleteMessage(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)), putM(Message(1, 1)), putM(Message(1, 2)), putM(Message(2, 3)))
	h.apply(delM(1, 2), delM(2, 1)) // the second names a message of another queue
	h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(1), Queue(2)},
		Messages: []queue.MessageRecord{Message(1, 1), Message(2, 3)},
	})
}

// testMissingTargets checks that updates and deletes of things that do not
// exist (already deleted by a concurrent call) succeed and change nothing.
func testMissingTargets(h *harness) {
	h.apply(putQ(Queue(1)), putM(Message(1, 1)))
	h.apply(
		queue.Op{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: 5, VisibleAt: 1},
		delM(1, 5), delM(9, 1), delQ(9),
		queue.Op{Kind: queue.OpPurgeQueue, QueueID: 9, Seq: 100},
		queue.Op{Kind: queue.OpDeleteDedup, QueueID: 9, ExpiresAt: 100},
	)
	h.expect(queue.Snapshot{Queues: []queue.QueueRecord{Queue(1)}, Messages: []queue.MessageRecord{Message(1, 1)}})
}

func testPurge(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)))
	for seq := int64(1); seq <= 6; seq++ {
		h.apply(putM(Message(1+seq%2, seq)))
	}
	h.apply(queue.Op{Kind: queue.OpPurgeQueue, QueueID: 1, Seq: 4})
	h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(1), Queue(2)},
		Messages: []queue.MessageRecord{Message(2, 1), Message(2, 3), Message(2, 5), Message(1, 6)},
	})
}

func testDedup(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)),
		putD(Dedup(1, "a", 1, 100)), putD(Dedup(1, "b", 2, 200)), putD(Dedup(1, "c", 3, 300)),
		putD(Dedup(2, "a", 4, 100)))
	// Replace: same queue and key.
	h.apply(putD(Dedup(1, "b", 5, 250)))
	// Delete expired: ExpiresAt <= 250 of queue 1 only.
	h.apply(queue.Op{Kind: queue.OpDeleteDedup, QueueID: 1, ExpiresAt: 250})
	h.expect(queue.Snapshot{
		Queues: []queue.QueueRecord{Queue(1), Queue(2)},
		Dedup:  []queue.DedupRecord{Dedup(1, "c", 3, 300), Dedup(2, "a", 4, 100)},
	})
	h.apply(queue.Op{Kind: queue.OpDeleteDedup, QueueID: 1, ExpiresAt: 299})
	h.expect(queue.Snapshot{
		Queues: []queue.QueueRecord{Queue(1), Queue(2)},
		Dedup:  []queue.DedupRecord{Dedup(1, "c", 3, 300), Dedup(2, "a", 4, 100)},
	})
}

func testSeqOrder(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)), putQ(Queue(3)))
	order := []int64{50, 3, 17, 4, 99, 1, 23, 8, 64, 2}
	var want []queue.MessageRecord
	for _, seq := range order {
		h.apply(putM(Message(1+seq%3, seq)))
	}
	for _, seq := range []int64{1, 2, 3, 4, 8, 17, 23, 50, 64, 99} {
		want = append(want, Message(1+seq%3, seq))
	}
	h.expect(queue.Snapshot{Queues: []queue.QueueRecord{Queue(1), Queue(2), Queue(3)}, Messages: want})
	h.reopen()
	h.expect(queue.Snapshot{Queues: []queue.QueueRecord{Queue(1), Queue(2), Queue(3)}, Messages: want})
}

func testNextSeq(h *harness) {
	h.apply(putQ(Queue(1)), putQ(Queue(2)), putM(Message(1, 10)), putM(Message(1, 20)))
	h.apply(putD(Dedup(2, "k", 30, 1)), putM(Message(2, 30)))
	h.apply(delM(1, 20), delQ(2))
	h.apply(queue.Op{Kind: queue.OpPurgeQueue, QueueID: 1, Seq: 100})
	check := func(when string) {
		if snap := h.load(); snap.NextSeq <= 30 {
			h.t.Errorf("%s: NextSeq = %d, want > 30", when, snap.NextSeq)
		}
	}
	check("before reopen")
	h.reopen()
	check("after reopen")
	// A lower Seq must not move it back.
	h.apply(putQ(Queue(3)), putM(Message(3, 5)))
	h.reopen()
	check("after lower put")
}

func testNextID(h *harness) {
	h.apply(putQ(Queue(4)), putQ(Queue(9)))
	h.apply(delQ(9))
	h.apply(putQ(Queue(2)))
	check := func(when string) {
		if snap := h.load(); snap.NextID <= 9 {
			h.t.Errorf("%s: NextID = %d, want > 9", when, snap.NextID)
		}
	}
	check("before reopen")
	h.reopen()
	check("after reopen")
}

func testOpsInOrder(h *harness) {
	h.apply(putQ(Queue(1)))
	// Put then delete in one call leaves nothing.
	h.apply(putM(Message(1, 1)), delM(1, 1))
	// Delete then put leaves the message.
	h.apply(delM(1, 2), putM(Message(1, 2)))
	// A queue created, filled and deleted in one call leaves nothing.
	h.apply(putQ(Queue(2)), putM(Message(2, 4)), putD(Dedup(2, "k", 4, 9)), delQ(2))
	// Purge then put keeps the new message; dedup delete then put keeps it.
	h.apply(putM(Message(1, 5)), queue.Op{Kind: queue.OpPurgeQueue, QueueID: 1, Seq: 5}, putM(Message(1, 6)),
		queue.Op{Kind: queue.OpDeleteDedup, QueueID: 1, ExpiresAt: 1000}, putD(Dedup(1, "k", 6, 10)))
	h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(1)},
		Messages: []queue.MessageRecord{Message(1, 6)},
		Dedup:    []queue.DedupRecord{Dedup(1, "k", 6, 10)},
	})
	// Put, update, update: the last update wins.
	h.apply(putM(Message(1, 3)),
		queue.Op{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: 3, VisibleAt: 1, ReceiveCount: 1, FirstReceiveAt: 1},
		queue.Op{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: 3, VisibleAt: 2, ReceiveCount: 2, FirstReceiveAt: 1})
	m3 := Message(1, 3)
	m3.VisibleAt, m3.ReceiveCount, m3.FirstReceiveAt = 2, 2, 1
	h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(1)},
		Messages: []queue.MessageRecord{m3, Message(1, 6)},
		Dedup:    []queue.DedupRecord{Dedup(1, "k", 6, 10)},
	})
}

func testConcurrent(h *harness) {
	const n = 50
	h.apply(putQ(Queue(1)))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		seq := int64(i + 1)
		wg.Go(func() {
			errs <- h.s.Apply(context.Background(), []queue.Op{
				putM(Message(1, seq)),
				putD(Dedup(1, fmt.Sprint(seq), seq, seq)),
				{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: seq, VisibleAt: seq, ReceiveCount: 1, FirstReceiveAt: seq},
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			h.t.Fatalf("concurrent Apply: %v", err)
		}
	}
	want := queue.Snapshot{Queues: []queue.QueueRecord{Queue(1)}}
	for seq := int64(1); seq <= n; seq++ {
		m := Message(1, seq)
		m.VisibleAt, m.ReceiveCount, m.FirstReceiveAt = seq, 1, seq
		want.Messages = append(want.Messages, m)
		want.Dedup = append(want.Dedup, Dedup(1, fmt.Sprint(seq), seq, seq))
	}
	h.expect(want)
}

func testCancelled(h *harness) {
	h.apply(putQ(Queue(1)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := h.s.Apply(ctx, []queue.Op{putM(Message(1, 1)), putM(Message(1, 2)), putM(Message(1, 3))})
	snap := h.load()
	switch n := len(snap.Messages); {
	case err == nil && n != 3:
		h.t.Fatalf("Apply returned nil but %d of 3 messages landed", n)
	case n != 0 && n != 3:
		h.t.Fatalf("Apply(cancelled) = %v and %d of 3 messages landed: not atomic", err, n)
	}
	// The store still works.
	h.apply(putM(Message(1, 4)))
	if snap := h.load(); len(snap.Messages) == 0 || snap.Messages[len(snap.Messages)-1].Seq != 4 {
		h.t.Fatalf("Apply after a cancelled one did not land")
	}
}

func testReopen(h *harness) {
	m := Message(1, 2)
	m.VisibleAt, m.ReceiveCount = 77, 4
	h.apply(putQ(Queue(1)), putQ(Queue(2)), putM(Message(1, 1)), putM(Message(1, 2)), putM(Message(2, 3)),
		putD(Dedup(1, "a", 1, 5)), putD(Dedup(2, "b", 3, 6)))
	h.apply(delM(1, 1), queue.Op{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: 2, VisibleAt: 77, ReceiveCount: 4, FirstReceiveAt: m.FirstReceiveAt})
	before := h.expect(queue.Snapshot{
		Queues:   []queue.QueueRecord{Queue(1), Queue(2)},
		Messages: []queue.MessageRecord{m, Message(2, 3)},
		Dedup:    []queue.DedupRecord{Dedup(1, "a", 1, 5), Dedup(2, "b", 3, 6)},
	})
	h.reopen()
	after := h.load()
	if b, a := Normalize(before), Normalize(after); !reflect.DeepEqual(b, a) {
		h.t.Fatalf("snapshot changed across reopen:\nbefore %+v\n after %+v", b, a)
	}
}

func testCloseTwice(h *harness) {
	h.apply(putQ(Queue(1)))
	if err := h.s.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	_ = h.s.Close() // must not panic or hang
}

func putR(kind, key, value string) queue.Op {
	return queue.Op{Kind: queue.OpPutRecord, Record: &queue.Record{Kind: kind, Key: key, Value: []byte(value)}}
}

func testRecords(h *harness) {
	t := h.t
	h.apply(putR("topic", "b", "1"), putR("topic", "a", "2"), putR("sub", "a", "3"), putQ(Queue(1)))
	h.apply(putR("topic", "b", "4"), queue.Op{Kind: queue.OpDeleteRecord, Record: &queue.Record{Kind: "sub", Key: "a"}},
		putR("sub", "c", ""), queue.Op{Kind: queue.OpDeleteRecord, Record: &queue.Record{Kind: "none", Key: "x"}})
	want := []string{"sub/c=", "topic/a=2", "topic/b=4"}
	check := func() {
		t.Helper()
		var got []string
		for _, r := range h.load().Records {
			got = append(got, r.Kind+"/"+r.Key+"="+string(r.Value))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("records %q, want %q", got, want)
		}
	}
	check()
	if err := h.s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutRecord}}); err == nil {
		t.Errorf("OpPutRecord without a record applied")
	}
	h.reopen()
	check()
	if len(h.load().Queues) != 1 {
		t.Errorf("records disturbed the queues")
	}
}
