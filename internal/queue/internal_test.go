package queue

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestHeapOrderAndIndexes(t *testing.T) {
	t.Parallel()
	for _, byTime := range []bool{false, true} {
		r := rand.New(rand.NewPCG(1, uint64(len(t.Name()))))
		h := &msgHeap{byTime: byTime}
		live := map[int64]*message{}
		var seq int64
		check := func() {
			for i, m := range h.items {
				if m.heapIdx != i {
					t.Fatalf("byTime=%v: item %d has heapIdx %d", byTime, i, m.heapIdx)
				}
				if i > 0 && h.less(m, h.items[(i-1)/2]) {
					t.Fatalf("byTime=%v: heap property broken at %d", byTime, i)
				}
			}
			if len(h.items) != len(live) {
				t.Fatalf("byTime=%v: %d items, %d live", byTime, len(h.items), len(live))
			}
		}
		for range 5000 {
			switch op := r.IntN(10); {
			case op < 5:
				seq++
				m := &message{MessageRecord: MessageRecord{Seq: seq, VisibleAt: r.Int64N(100)}, heapIdx: -1}
				h.push(m)
				live[seq] = m
			case op < 7 && len(live) > 0:
				m := h.items[r.IntN(len(h.items))]
				h.remove(m)
				if m.heapIdx != -1 {
					t.Fatal("removed message keeps its index")
				}
				delete(live, m.Seq)
			case op < 9 && len(live) > 0:
				m := h.items[r.IntN(len(h.items))]
				m.VisibleAt = r.Int64N(100)
				h.fix(m)
			case len(live) > 0:
				want := h.items[0]
				for _, m := range live {
					if h.less(m, want) {
						want = m
					}
				}
				if got := h.pop(); got != want {
					t.Fatalf("byTime=%v: pop %d, want minimum %d", byTime, got.Seq, want.Seq)
				}
				delete(live, want.Seq)
			}
			check()
		}
		var out []int64
		for h.Len() > 0 {
			m := h.pop()
			out = append(out, m.VisibleAt*1e9+m.Seq)
		}
		if byTime && !slices.IsSorted(out) {
			t.Errorf("drain not sorted by (VisibleAt, Seq)")
		}
		if h.peek() != nil || h.pop() != nil {
			t.Error("empty heap returned a message")
		}
	}
}

func TestReceiptHandleEncoding(t *testing.T) {
	t.Parallel()
	for _, c := range []handle{{1, 1, 1}, {7, 1 << 40, 1000}, {1<<62 + 3, 1<<63 - 1, 1<<31 - 1}} {
		s := encodeHandle(c.queueID, c.seq, c.rc)
		got, ok := decodeHandle(s)
		if !ok || got != c {
			t.Errorf("round trip of %+v: %+v %v", c, got, ok)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		for i := range raw {
			for _, bit := range []byte{1, 0x80} {
				b := slices.Clone(raw)
				b[i] ^= bit
				if h, ok := decodeHandle(base64.RawURLEncoding.EncodeToString(b)); ok {
					t.Errorf("byte %d bit %x flipped still decodes, to %+v", i, bit, h)
				}
			}
		}
		for _, bad := range []string{"", s[:len(s)-1], s + "AA", base64.StdEncoding.EncodeToString(raw), "%%%"} {
			if _, ok := decodeHandle(bad); ok {
				t.Errorf("decodeHandle(%q) accepted", bad)
			}
		}
	}
	if encodeHandle(1, 2, 3) == encodeHandle(1, 2, 4) || encodeHandle(1, 2, 3) == encodeHandle(2, 2, 3) {
		t.Error("distinct handles encode equal")
	}
}

type nopStore struct{}

func (nopStore) Load(context.Context) (*Snapshot, error) {
	return &Snapshot{NextSeq: 1, NextID: 1}, nil
}
func (nopStore) Apply(context.Context, []Op) error { return nil }
func (nopStore) Close() error                      { return nil }

// Anything that reads the counts (GetQueueAttributes, the metrics gauge)
// promotes due messages. When that happens between a message's visibility
// expiry and the visibility timer's callback, the callback finds nothing
// to promote and wakes nobody: a waiting long poll must still get the
// message.
func TestPromoteByCountsWakesWaiters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, err := Open(ctx, Options{Store: nopStore{}, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	q, err := e.CreateQueue(ctx, CreateQueueInput{Account: "1", Name: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Send(ctx, q, SendInput{Body: "m", HasBody: true}); err != nil {
		t.Fatal(err)
	}
	one, zero := int64(1), int64(0)
	got, err := e.Receive(ctx, q, ReceiveInput{VisibilityTimeout: &one, WaitTimeSeconds: &zero})
	if err != nil || len(got) != 1 {
		t.Fatalf("receive: %v %v", got, err)
	}
	visibleAt := time.Unix(0, got[0].VisibleAt)

	res := make(chan []Received, 1)
	go func() {
		wait := int64(4)
		out, _ := e.Receive(ctx, q, ReceiveInput{WaitTimeSeconds: &wait})
		res <- out
	}()
	time.Sleep(time.Until(visibleAt) - 300*time.Millisecond)
	q.mu.Lock() // the timer fires while we hold the lock and waits for it
	time.Sleep(time.Until(visibleAt) + 300*time.Millisecond)
	q.counts(time.Now().UnixNano()) // what Queue.Counts does under the lock
	q.mu.Unlock()
	unlocked := time.Now()
	select {
	case out := <-res:
		if len(out) != 1 {
			t.Errorf("long poll returned %d messages, want the one that became visible", len(out))
		}
	case <-time.After(time.Second):
		t.Errorf("long poll not woken within 1 s of the message becoming visible (still waiting %v later)", time.Since(unlocked))
		<-res
	}
}

// Every FIFO placeholder is accounted for: after sends, a failed send, a
// dead-letter move and a purge, no message counts as uncommitted.
func TestUncommittedCounter(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{Store: nopStore{}, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dlq, err := e.CreateQueue(ctx, CreateQueueInput{Account: "1", Name: "d.fifo", Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.CreateQueue(ctx, CreateQueueInput{Account: "1", Name: "q.fifo", Attributes: map[string]string{
		"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq.Arn() + `","maxReceiveCount":1}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := e.Send(ctx, q, SendInput{Body: fmt.Sprint("m", i), HasBody: true, GroupID: "g"}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, want int) {
		t.Helper()
		q.mu.Lock()
		u := q.uncommitted
		q.mu.Unlock()
		vis, inflight, delayed := q.Counts()
		if u != 0 || vis+inflight+delayed != want {
			t.Errorf("%s: uncommitted %d, counts %d+%d+%d, want 0 and %d", when, u, vis, inflight, delayed, want)
		}
	}
	check("after sends", 5)
	zero := int64(0)
	if _, err := e.Receive(ctx, q, ReceiveInput{Max: 10, WaitTimeSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Receive(ctx, q, ReceiveInput{Max: 10, WaitTimeSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	check("after dead-lettering", 0)
	dlq.mu.Lock()
	if dlq.uncommitted != 0 || len(dlq.msgs) != 5 {
		t.Errorf("dead-letter queue: uncommitted %d, %d messages, want 0 and 5", dlq.uncommitted, len(dlq.msgs))
	}
	dlq.mu.Unlock()
	if err := e.Purge(ctx, dlq); err != nil {
		t.Fatal(err)
	}
	if vis, inflight, delayed := dlq.Counts(); vis+inflight+delayed != 0 || dlq.uncommitted != 0 {
		t.Errorf("after purge: %d %d %d, uncommitted %d", vis, inflight, delayed, dlq.uncommitted)
	}
}

// A deleted queue's messages leave the store, whether the background
// deletion finished or a restart had to finish it.
func TestDeleteQueueRemovesMessagesFromStore(t *testing.T) {
	ctx := context.Background()
	store := newCountingStore()
	e, err := Open(ctx, Options{Store: store, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.CreateQueue(ctx, CreateQueueInput{Account: "1", Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	ins := make([]SendInput, 10)
	for i := range ins {
		ins[i] = SendInput{Body: "m", HasBody: true}
	}
	for range 250 {
		if _, _, err := e.SendBatch(ctx, q, ins); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.DeleteQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return store.messages() == 0 })
	e.Close()
	if n := store.messages(); n != 0 {
		t.Errorf("%d messages of the deleted queue left in the store", n)
	}
	if store.cascades != 0 {
		t.Errorf("the engine deleted a queue with %d cascading OpDeleteQueue; it should drop the queue and delete messages in chunks", store.cascades)
	}
}

// countingStore keeps message keys and the largest Apply it saw.
type countingStore struct {
	mu       sync.Mutex
	msgs     map[[2]int64]bool
	maxOps   int
	cascades int
}

func newCountingStore() *countingStore { return &countingStore{msgs: map[[2]int64]bool{}} }

func (s *countingStore) Load(context.Context) (*Snapshot, error) {
	return &Snapshot{NextSeq: 1, NextID: 1}, nil
}
func (s *countingStore) Close() error { return nil }

func (s *countingStore) Apply(_ context.Context, ops []Op) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxOps = max(s.maxOps, len(ops))
	for _, op := range ops {
		switch op.Kind {
		case OpPutMessage:
			s.msgs[[2]int64{op.Message.QueueID, op.Message.Seq}] = true
		case OpDeleteMessage:
			delete(s.msgs, [2]int64{op.QueueID, op.Seq})
		case OpPurgeQueue:
			for k := range s.msgs {
				if k[0] == op.QueueID && k[1] <= op.Seq {
					delete(s.msgs, k)
				}
			}
		case OpDeleteQueue:
			s.cascades++
			for k := range s.msgs {
				if k[0] == op.QueueID {
					delete(s.msgs, k)
				}
			}
		}
	}
	return nil
}

func (s *countingStore) messages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
