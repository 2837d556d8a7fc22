package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

const acct = "123456789012"

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an engine under test with its store and (optional) fake clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	e     *queue.Engine
	store queue.Store
	clock *fakeClock // nil when the engine runs on real time
}

// newEnv opens an engine over a fresh memstore on a fake clock.
func newEnv(t *testing.T) *env {
	t.Helper()
	return openEnv(t, memstore.New(), newClock())
}

// newRealEnv opens an engine over a fresh memstore on real time.
func newRealEnv(t *testing.T) *env {
	t.Helper()
	return openEnv(t, memstore.New(), nil)
}

// openEnv opens an engine over store; clock may be nil for real time.
func openEnv(t *testing.T, store queue.Store, clock *fakeClock) *env {
	t.Helper()
	opts := queue.Options{Store: store, SweepInterval: time.Hour}
	if clock != nil {
		opts.Now = clock.Now
	}
	e, err := queue.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(e.Close)
	return &env{t: t, ctx: context.Background(), e: e, store: store, clock: clock}
}

func (v *env) advance(d time.Duration) {
	v.t.Helper()
	if v.clock == nil {
		v.t.Fatal("advance on a real-time env")
	}
	v.clock.Advance(d)
}

func (v *env) create(name string, attrs map[string]string) *queue.Queue {
	v.t.Helper()
	q, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: name, Attributes: attrs})
	if err != nil {
		v.t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return q
}

func (v *env) fifo(name string, attrs map[string]string) *queue.Queue {
	v.t.Helper()
	a := map[string]string{"FifoQueue": "true"}
	for k, x := range attrs {
		a[k] = x
	}
	return v.create(name, a)
}

func (v *env) send(q *queue.Queue, body string) queue.SendResult {
	v.t.Helper()
	return v.sendIn(q, queue.SendInput{Body: body})
}

// sendIn sends in, with HasBody set.
func (v *env) sendIn(q *queue.Queue, in queue.SendInput) queue.SendResult {
	v.t.Helper()
	in.HasBody = true
	r, err := v.e.Send(v.ctx, q, in)
	if err != nil {
		v.t.Fatalf("Send(%q): %v", in.Body, err)
	}
	return r
}

func (v *env) sendGroup(q *queue.Queue, group, dedup, body string) queue.SendResult {
	v.t.Helper()
	return v.sendIn(q, queue.SendInput{Body: body, GroupID: group, DedupID: dedup})
}

// recv short-polls up to max messages; vis < 0 means the queue default.
func (v *env) recv(q *queue.Queue, max int, vis int64) []queue.Received {
	v.t.Helper()
	in := queue.ReceiveInput{Max: max, WaitTimeSeconds: ptr[int64](0)}
	if vis >= 0 {
		in.VisibilityTimeout = &vis
	}
	out, err := v.e.Receive(v.ctx, q, in)
	if err != nil {
		v.t.Fatalf("Receive: %v", err)
	}
	return out
}

func (v *env) recvOne(q *queue.Queue, vis int64) queue.Received {
	v.t.Helper()
	out := v.recv(q, 1, vis)
	if len(out) != 1 {
		v.t.Fatalf("Receive: got %d messages, want 1", len(out))
	}
	return out[0]
}

func (v *env) del(q *queue.Queue, handle string) {
	v.t.Helper()
	if err := v.e.Delete(v.ctx, q, handle); err != nil {
		v.t.Fatalf("Delete: %v", err)
	}
}

// counts returns visible, in-flight and delayed counts.
func counts(q *queue.Queue) [3]int {
	a, b, c := q.Counts()
	return [3]int{a, b, c}
}

func wantCounts(t *testing.T, q *queue.Queue, visible, inflight, delayed int) {
	t.Helper()
	if got, want := counts(q), [3]int{visible, inflight, delayed}; got != want {
		t.Fatalf("Counts(%s) = %v (visible, in flight, delayed), want %v", q.Name(), got, want)
	}
}

func ptr[T any](v T) *T { return &v }

// wantCode fails unless err is a *queue.Error with code.
func wantCode(t *testing.T, err error, code queue.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %s", code)
	}
	var qe *queue.Error
	if !errors.As(err, &qe) {
		t.Fatalf("got %T %v, want *queue.Error %s", err, err, code)
	}
	if qe.Code != code {
		t.Fatalf("got code %s (%s), want %s", qe.Code, qe.Message, code)
	}
}

// wantErr is wantCode plus a check that the message contains msg.
func wantErr(t *testing.T, err error, code queue.Code, msg string) {
	t.Helper()
	wantCode(t, err, code)
	var qe *queue.Error
	errors.As(err, &qe)
	if !strings.Contains(qe.Message, msg) {
		t.Fatalf("error message %q does not contain %q", qe.Message, msg)
	}
}

func bodies(ms []queue.Received) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Body
	}
	return out
}

func names(qs []*queue.Queue) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Name()
	}
	return out
}

// eventually polls cond every 10 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func arnOf(name string) string { return fmt.Sprintf("arn:aws:sqs:us-east-1:%s:%s", acct, name) }

func redrive(dlq *queue.Queue, max int) string {
	return fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlq.Arn(), max)
}
