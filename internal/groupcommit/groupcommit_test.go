package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/groupcommit"
)

var errClosed = errors.New("test queue closed")

// req is a test request. The writer answers it with answer(id).
type req struct {
	groupcommit.Request
	id     int
	weight int
	alone  bool
	hold   chan struct{} // when set, serving it waits until it is closed
}

// answer is the writer's answer to request id.
type answer int

func (a answer) Error() string { return fmt.Sprintf("answer %d", int(a)) }

// writer records the groups it serves, as lists of ids.
type writer struct {
	mu     sync.Mutex
	groups [][]int
	served map[int]int // times each id was served
	dirty  bool        // serve got an errs entry that was not nil
}

func (w *writer) serve(group []*req, errs []error) {
	ids := make([]int, len(group))
	dirty := false
	for i, r := range group {
		if r.hold != nil {
			<-r.hold
		}
		ids[i] = r.id
		dirty = dirty || errs[i] != nil
		errs[i] = answer(r.id)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dirty = w.dirty || dirty
	w.groups = append(w.groups, ids)
	for _, id := range ids {
		w.served[id]++
	}
}

// check fails t if serve ever got an errs entry that was not nil, or
// served groups other than want (when want is not nil).
func (w *writer) check(t *testing.T, want [][]int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dirty {
		t.Error("serve got errs that were not all nil")
	}
	if want != nil && !slices.EqualFunc(w.groups, want, slices.Equal) {
		t.Errorf("groups %v, want %v", w.groups, want)
	}
}

// start returns a queue with policy p whose writer runs w.serve; the queue
// is closed when the test ends.
func start(t *testing.T, p groupcommit.Policy[*req]) (*groupcommit.Queue[*req], *writer) {
	t.Helper()
	q := groupcommit.New(p, errClosed)
	w := &writer{served: map[int]int{}}
	go q.Run(w.serve)
	t.Cleanup(q.Close)
	return q, w
}

// hold makes the writer busy with a request of id -1 until release is
// called (at the latest when the test ends), so that what is queued
// meanwhile gathers.
func hold(t *testing.T, q *groupcommit.Queue[*req]) (release func()) {
	t.Helper()
	b := &req{id: -1, hold: make(chan struct{})}
	if err := q.Enqueue(b); err != nil {
		t.Fatal(err)
	}
	waitLen(t, q, 0) // the writer took b and waits in serve
	var once sync.Once
	release = func() { once.Do(func() { close(b.hold) }) }
	t.Cleanup(release)
	return release
}

// waitLen waits until q holds n requests not yet taken.
func waitLen(t *testing.T, q *groupcommit.Queue[*req], n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); q.Len() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", q.Len(), n)
		}
	}
}

// enqueue queues rs one at a time, in order.
func enqueue(t *testing.T, q *groupcommit.Queue[*req], rs []*req) {
	t.Helper()
	for _, r := range rs {
		if err := q.Enqueue(r); err != nil {
			t.Fatal(err)
		}
	}
}

// waitAll waits for each of rs and checks that it got its own answer.
func waitAll(t *testing.T, q *groupcommit.Queue[*req], rs []*req) {
	t.Helper()
	for _, r := range rs {
		if err := q.Wait(context.Background(), r); err != answer(r.id) {
			t.Errorf("request %d answered %v, want its own answer", r.id, err)
		}
	}
}

func reqs(n int) []*req {
	rs := make([]*req, n)
	for i := range rs {
		rs[i] = &req{id: i}
	}
	return rs
}

// TestCountCap: with no Weight, MaxWeight caps the requests of a group,
// and groups keep the arrival order.
func TestCountCap(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{MaxWeight: 3})
	release := hold(t, q)
	rs := reqs(10)
	enqueue(t, q, rs)
	if n := q.Waiting(); n != 11 {
		t.Errorf("Waiting() = %d with 10 requests queued and one served, want 11", n)
	}
	release()
	waitAll(t, q, rs)
	w.check(t, [][]int{{-1}, {0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}})
	if n := q.Waiting(); n != 0 {
		t.Errorf("Waiting() = %d after every answer, want 0", n)
	}
}

// TestWeightCap: MaxWeight caps the total weight of a group, but a group
// always holds one request, however heavy.
func TestWeightCap(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{MaxWeight: 10, Weight: func(r *req) int { return r.weight }})
	release := hold(t, q)
	rs := reqs(8)
	for i, wt := range []int{4, 4, 4, 12, 1, 9, 1, 1} {
		rs[i].weight = wt
	}
	enqueue(t, q, rs)
	release()
	waitAll(t, q, rs)
	w.check(t, [][]int{{-1}, {0, 1}, {2}, {3}, {4, 5}, {6, 7}})
}

// TestAlone: a request for which Alone holds is served in a group of its
// own, between runs of the others, which the weight cap still bounds.
func TestAlone(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{
		MaxWeight: 3,
		Weight:    func(r *req) int { return r.weight },
		Alone:     func(r *req) bool { return r.alone },
	})
	release := hold(t, q)
	rs := reqs(9)
	for i, r := range rs {
		r.weight = 1
		r.alone = i == 2 || i == 4 || i == 5
	}
	enqueue(t, q, rs)
	release()
	waitAll(t, q, rs)
	w.check(t, [][]int{{-1}, {0, 1}, {2}, {3}, {4}, {5}, {6, 7, 8}})
}

// TestAbandonedSkipped: a request whose caller gave up before the writer
// took it is never served, does not count towards the cap and does not
// split the group around it.
func TestAbandonedSkipped(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{MaxWeight: 2})
	release := hold(t, q)
	rs := reqs(4)
	enqueue(t, q, rs)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	for _, r := range rs[1:3] {
		if err := q.Wait(gone, r); !errors.Is(err, context.Canceled) {
			t.Fatalf("request %d, abandoned: %v, want context.Canceled", r.id, err)
		}
		if !r.Abandoned() {
			t.Errorf("request %d: Abandoned() false after its caller gave up", r.id)
		}
	}
	if n := q.Waiting(); n != 3 {
		t.Errorf("Waiting() = %d with two requests abandoned, want 3", n)
	}
	release()
	waitAll(t, q, []*req{rs[0], rs[3]})
	q.Close()
	w.check(t, [][]int{{-1}, {0, 3}})
	if rs[0].Abandoned() || rs[3].Abandoned() {
		t.Error("Abandoned() true for an answered request")
	}
	if n := q.Waiting(); n != 0 {
		t.Errorf("Waiting() = %d after every answer, want 0", n)
	}
}

// TestTakenAlwaysAnswered: once the writer took a request, its caller
// waits for the answer even when its context ends meanwhile.
func TestTakenAlwaysAnswered(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{MaxWeight: 1})
	r := &req{id: 7, hold: make(chan struct{})}
	released := false
	t.Cleanup(func() {
		if !released {
			close(r.hold)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() { got <- q.Submit(ctx, r) }()
	for q.Waiting() != 1 {
		time.Sleep(time.Millisecond) // Submit has not queued r yet
	}
	waitLen(t, q, 0) // the writer took r and waits in serve
	cancel()
	select {
	case err := <-got:
		t.Fatalf("Submit returned %v while its request was being served", err)
	case <-time.After(50 * time.Millisecond):
	}
	released = true
	close(r.hold)
	if err := <-got; err != answer(7) {
		t.Errorf("Submit = %v, want the writer's answer", err)
	}
	if r.Abandoned() {
		t.Error("Abandoned() true for a request the writer took")
	}
	w.check(t, [][]int{{7}})
}

// TestSubmitAfterClose: once closed, the queue takes nothing and answers
// with the closed error it was given.
func TestSubmitAfterClose(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{MaxWeight: 8})
	if err := q.Submit(context.Background(), &req{id: 1}); err != answer(1) {
		t.Fatalf("Submit before Close = %v", err)
	}
	if q.Closed() {
		t.Error("Closed() true before Close")
	}
	q.Close()
	if !q.Closed() {
		t.Error("Closed() false after Close")
	}
	r := &req{id: 2}
	if err := q.Submit(context.Background(), r); err != errClosed {
		t.Errorf("Submit after Close = %v, want %v", err, errClosed)
	}
	if err := q.Enqueue(&req{id: 3}, &req{id: 4}); err != errClosed {
		t.Errorf("Enqueue after Close = %v, want %v", err, errClosed)
	}
	if r.Abandoned() {
		t.Error("Abandoned() true for a request refused at Close")
	}
	if q.Len() != 0 || q.Waiting() != 0 {
		t.Errorf("Len() = %d, Waiting() = %d after Close, want 0", q.Len(), q.Waiting())
	}
	q.Close() // a second Close returns too
	w.check(t, [][]int{{1}})
}

// TestCloseServesQueued: Close refuses new requests at once, but returns
// only when the writer has served every request already queued.
func TestCloseServesQueued(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{MaxWeight: 2})
	release := hold(t, q)
	rs := reqs(5)
	enqueue(t, q, rs)
	closed := make(chan struct{})
	go func() {
		q.Close()
		close(closed)
	}()
	for !q.Closed() {
		time.Sleep(time.Millisecond)
	}
	if err := q.Enqueue(&req{id: 99}); err != errClosed {
		t.Errorf("Enqueue while closing = %v, want %v", err, errClosed)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while the writer was still serving")
	case <-time.After(50 * time.Millisecond):
	}
	release()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after the writer was released")
	}
	w.check(t, [][]int{{-1}, {0, 1}, {2, 3}, {4}})
	waitAll(t, q, rs)
}

// TestConcurrentSubmit: callers submit and give up at random while the
// writer serves. Every request whose Submit returned its answer was served
// exactly once; every abandoned one was never served. Callers reuse their
// request unless it was abandoned, as a pool does.
func TestConcurrentSubmit(t *testing.T) {
	q, w := start(t, groupcommit.Policy[*req]{MaxWeight: 16, Weight: func(r *req) int { return r.weight }})
	const callers, calls = 8, 300
	var mu sync.Mutex
	answered, abandoned := map[int]bool{}, map[int]bool{}
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			r := &req{}
			for i := range calls {
				if r.Abandoned() {
					r = &req{}
				}
				r.id, r.weight = c*calls+i, 1+i%5
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(200))*time.Microsecond)
				err := q.Submit(ctx, r)
				cancel()
				mu.Lock()
				switch {
				case err == answer(r.id) && !r.Abandoned():
					answered[r.id] = true
				case errors.Is(err, context.DeadlineExceeded) && r.Abandoned():
					abandoned[r.id] = true
				default:
					t.Errorf("request %d: Submit = %v, Abandoned() = %v", r.id, err, r.Abandoned())
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	q.Close()
	w.check(t, nil)
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, n := range w.served {
		if n != 1 || !answered[id] {
			t.Errorf("request %d served %d times, answered %v", id, n, answered[id])
		}
	}
	for id := range answered {
		if w.served[id] != 1 {
			t.Errorf("request %d answered but served %d times", id, w.served[id])
		}
	}
	if len(answered)+len(abandoned) != callers*calls {
		t.Errorf("%d answered and %d abandoned, want %d in all", len(answered), len(abandoned), callers*calls)
	}
	if q.Waiting() != 0 {
		t.Errorf("Waiting() = %d at the end, want 0", q.Waiting())
	}
	t.Logf("%d answered, %d abandoned, in %d groups", len(answered), len(abandoned), len(w.groups))
}
