package queue_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

func TestRestartStandard(t *testing.T) {
	t.Parallel()
	store, clock := memstore.New(), newClock()
	v := openEnv(t, store, clock)
	dlq := v.create("rs-dlq", nil)
	q, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "rs", Tags: map[string]string{"t": "1"},
		Attributes: map[string]string{"VisibilityTimeout": "40", "RedrivePolicy": redrive(dlq, 5)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"deleted", "inflight", "visible", "received-once"} {
		v.send(q, b)
	}
	v.sendIn(q, queue.SendInput{Body: "delayed", DelaySeconds: ptr[int64](100)})
	del := v.recvOne(q, -1)
	v.del(q, del.ReceiptHandle)
	inflight := v.recvOne(q, 60)
	var maxSeq int64 // "visible" and "received-once" are received once, visibility 0
	for _, m := range v.recv(q, 10, 0) {
		maxSeq = max(maxSeq, m.Seq)
	}
	attrsBefore, _ := q.Attributes([]string{"All"})
	v.e.Close()

	clock.Advance(10 * time.Second)
	v2 := openEnv(t, store, clock)
	q2, err := v2.e.Queue(acct, "rs")
	if err != nil {
		t.Fatal(err)
	}
	attrsAfter, _ := q2.Attributes([]string{"All"})
	for _, a := range []string{"VisibilityTimeout", "RedrivePolicy", "QueueArn", "CreatedTimestamp", "LastModifiedTimestamp"} {
		if attrsAfter[a] != attrsBefore[a] {
			t.Errorf("%s: %q before, %q after restart", a, attrsBefore[a], attrsAfter[a])
		}
	}
	if !maps.Equal(q2.Tags(), map[string]string{"t": "1"}) {
		t.Errorf("tags %v", q2.Tags())
	}
	if got := names(v2.e.DeadLetterSources(mustQueue(t, v2, "rs-dlq"))); !slices.Equal(got, []string{"rs"}) {
		t.Errorf("DeadLetterSources after restart: %v", got)
	}
	wantCounts(t, q2, 2, 1, 1)
	got := v2.recv(q2, 10, 0)
	if b := bodies(got); len(b) != 2 || !slices.Contains(b, "visible") || !slices.Contains(b, "received-once") {
		t.Fatalf("after restart received %v", b)
	}
	for _, m := range got {
		if m.ReceiveCount != 2 {
			t.Errorf("%s: ReceiveCount %d, want 2 (preserved)", m.Body, m.ReceiveCount)
		}
	}
	// The in-flight message stays invisible until its timeout (60 s after
	// the receive), then reappears with its receive count.
	clock.Advance(49 * time.Second)
	for _, m := range v2.recv(q2, 10, 0) {
		if m.Body == "inflight" {
			t.Fatal("in-flight message visible before its timeout")
		}
	}
	clock.Advance(2 * time.Second)
	var back *queue.Received
	for _, m := range v2.recv(q2, 10, 0) {
		if m.Body == "inflight" {
			back = &m
		}
	}
	if back == nil || back.ReceiveCount != 2 || back.ID != inflight.ID {
		t.Fatalf("in-flight message after its timeout: %+v", back)
	}
	// Its old handle no longer deletes it; a fresh one does.
	if err := v2.e.Delete(v2.ctx, q2, inflight.ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if n := v2.recv(q2, 10, 30); len(n) != 4 { // visible, received-once, inflight, delayed
		t.Errorf("received %v", bodies(n))
	} else {
		for _, m := range n {
			if m.Body == "deleted" {
				t.Error("deleted message is back")
			}
			if m.Seq <= 0 {
				t.Errorf("seq %d", m.Seq)
			}
		}
	}
	// New messages get larger sequence numbers than any before the restart.
	v2.send(q2, "new")
	clock.Advance(time.Minute)
	for _, m := range v2.recv(q2, 10, 30) {
		if m.Body == "new" && m.Seq <= maxSeq {
			t.Errorf("new message seq %d <= %d from before the restart", m.Seq, maxSeq)
		}
	}
}

func mustQueue(t *testing.T, v *env, name string) *queue.Queue {
	t.Helper()
	q, err := v.e.Queue(acct, name)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestRestartFifo(t *testing.T) {
	t.Parallel()
	store, clock := memstore.New(), newClock()
	v := openEnv(t, store, clock)
	q := v.fifo("rf.fifo", nil)
	a := v.sendGroup(q, "g1", "a", "a")
	v.del(q, v.recvOne(q, 30).ReceiptHandle) // a
	v.sendGroup(q, "g1", "b", "b")
	c := v.sendGroup(q, "g2", "c", "c")
	inflightB := v.recvOne(q, 30) // b: g1 locked
	if inflightB.Body != "b" {
		t.Fatalf("got %s", inflightB.Body)
	}
	v.e.Close()

	clock.Advance(10 * time.Second) // b stays in flight for 20 s more
	v2 := openEnv(t, store, clock)
	q2 := mustQueue(t, v2, "rf.fifo")
	if !q2.Fifo() {
		t.Fatal("FIFO lost on restart")
	}
	// Dedup records survive: a and c are still deduplicated.
	if r := v2.sendGroup(q2, "g1", "a", "a"); r.MessageID != a.MessageID || r.SequenceNumber != a.SequenceNumber {
		t.Errorf("dedup of a after restart: %+v", r)
	}
	if r := v2.sendGroup(q2, "g2", "c", "c"); r.MessageID != c.MessageID {
		t.Errorf("dedup of c after restart: %+v", r)
	}
	wantCounts(t, q2, 1, 1, 0)
	// g1 stays locked by the in-flight b; g2 proceeds.
	if got := bodies(v2.recv(q2, 10, 30)); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("after restart received %v, want [c]", got)
	}
	d := v2.sendGroup(q2, "g1", "d", "d")
	if d.SequenceNumber <= c.SequenceNumber {
		t.Errorf("sequence number %s after restart, not above %s", d.SequenceNumber, c.SequenceNumber)
	}
	clock.Advance(21 * time.Second)
	b := v2.recvOne(q2, 30)
	if b.Body != "b" || b.ReceiveCount != 2 {
		t.Fatalf("got %s rc %d, want b rc 2", b.Body, b.ReceiveCount)
	}
	v2.del(q2, b.ReceiptHandle)
	if m := v2.recvOne(q2, 30); m.Body != "d" {
		t.Errorf("got %s, want d", m.Body)
	}
	// Dedup records expire after restart as before.
	clock.Advance(5 * time.Minute)
	if r := v2.sendGroup(q2, "g1", "a", "a"); r.MessageID == a.MessageID {
		t.Error("dedup record outlived its window")
	}
}

// gatedStore lets a test hold one Apply after it has reached the store but
// before the engine hears that it succeeded.
type gatedStore struct {
	queue.Store
	body    string        // hold the Apply that puts a message with this body
	reached chan struct{} // closed when that Apply has been applied
	release chan struct{} // closed by the test to let it return
}

func (s *gatedStore) Apply(ctx context.Context, ops []queue.Op) error {
	err := s.Store.Apply(ctx, ops)
	for _, op := range ops {
		if op.Kind == queue.OpPutMessage && op.Message.Body == s.body {
			close(s.reached)
			<-s.release
		}
	}
	return err
}

// A send that is in progress while the queue is purged: whether the message
// survives or not, the engine and the store must agree, or it vanishes (or
// reappears) on restart.
func TestPurgeDuringSendKeepsStoreConsistent(t *testing.T) {
	t.Parallel()
	mem := memstore.New()
	gs := &gatedStore{Store: mem, body: "slow", reached: make(chan struct{}), release: make(chan struct{})}
	v := openEnv(t, gs, newClock())
	q := v.create("purge-race", nil)
	sendDone := make(chan error, 1)
	go func() {
		_, err := v.e.Send(v.ctx, q, queue.SendInput{Body: "slow", HasBody: true})
		sendDone <- err
	}()
	<-gs.reached // "slow" is in the store; the engine does not know yet
	v.send(q, "fast")
	if err := v.e.Purge(v.ctx, q); err != nil {
		t.Fatal(err)
	}
	close(gs.release)
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
	live := counts(q)[0]
	v2 := openEnv(t, mem, newClock())
	if restarted := counts(mustQueue(t, v2, "purge-race"))[0]; restarted != live {
		t.Errorf("engine holds %d messages, the store %d: a message sent during the purge is lost on restart", live, restarted)
	}
}

// Sweep forgets old deleted-queue names by writing a map under a read lock;
// two sweeps (the background loop and a caller) race on it.
//
// Not parallel, so that the race report is blamed on this test alone.
func TestConcurrentSweeps(t *testing.T) {
	v := newEnv(t)
	for _, n := range []string{"sw1", "sw2", "sw3"} {
		if err := v.e.DeleteQueue(v.ctx, v.create(n, nil)); err != nil {
			t.Fatal(err)
		}
	}
	v.advance(2 * time.Minute)
	done := make(chan struct{})
	go func() {
		v.e.Sweep(context.Background())
		close(done)
	}()
	// Sequential in time (so an unsafe engine cannot crash the binary), but
	// with no synchronisation between the two calls other than the
	// engine's own: the race detector reports an unsafe write.
	time.Sleep(50 * time.Millisecond)
	v.e.Sweep(context.Background())
	<-done
	v.create("sw1", nil)
}

// failingStore fails every Apply while fail is set.
type failingStore struct {
	queue.Store
	mu   sync.Mutex
	fail bool
}

func (s *failingStore) set(fail bool) { s.mu.Lock(); s.fail = fail; s.mu.Unlock() }

func (s *failingStore) Apply(ctx context.Context, ops []queue.Op) error {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail {
		return context.DeadlineExceeded
	}
	return s.Store.Apply(ctx, ops)
}

// A send the store rejects is not acknowledged and leaves nothing behind:
// no message, and no dedup record that would swallow the retry.
func TestStoreFailureRollsBackSend(t *testing.T) {
	t.Parallel()
	fs := &failingStore{Store: memstore.New()}
	v := openEnv(t, fs, newClock())
	q := v.create("sf", nil)
	f := v.fifo("sf.fifo", nil)
	fs.set(true)
	_, err := v.e.Send(v.ctx, q, queue.SendInput{Body: "x", HasBody: true})
	wantCode(t, err, queue.ErrInternal)
	_, err = v.e.Send(v.ctx, f, queue.SendInput{Body: "x", HasBody: true, GroupID: "g", DedupID: "d"})
	wantCode(t, err, queue.ErrInternal)
	_, err = v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "sf-new"})
	wantCode(t, err, queue.ErrInternal)
	fs.set(false)
	wantCounts(t, q, 0, 0, 0)
	wantCounts(t, f, 0, 0, 0)
	if _, err := v.e.Queue(acct, "sf-new"); err == nil {
		t.Error("queue whose creation failed exists")
	}
	r := v.sendGroup(f, "g", "d", "x")
	wantCounts(t, f, 1, 0, 0)
	if m := v.recvOne(f, 30); m.ID != r.MessageID {
		t.Errorf("received %s, want %s", m.ID, r.MessageID)
	}
}
