package queue_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

type pollResult struct {
	msgs []queue.Received
	err  error
	at   time.Time
}

// poll starts a long poll of wait seconds and returns where its result goes.
func poll(ctx context.Context, e *queue.Engine, q *queue.Queue, wait int64, vis int64) <-chan pollResult {
	ch := make(chan pollResult, 1)
	go func() {
		out, err := e.Receive(ctx, q, queue.ReceiveInput{Max: 10, WaitTimeSeconds: &wait, VisibilityTimeout: &vis})
		ch <- pollResult{out, err, time.Now()}
	}()
	return ch
}

func await(t *testing.T, ch <-chan pollResult, within time.Duration) pollResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("long poll did not return within %v", within)
		return pollResult{}
	}
}

// settle gives a just-started poll time to register as a waiter.
func settle() { time.Sleep(100 * time.Millisecond) }

func TestLongPollWakesOnSend(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.create("lp-send", nil)
	ch := poll(v.ctx, v.e, q, 5, 30)
	settle()
	sent := time.Now()
	v.send(q, "hello")
	r := await(t, ch, 5*time.Second)
	if r.err != nil || len(r.msgs) != 1 || r.msgs[0].Body != "hello" {
		t.Fatalf("poll = %v, %v", bodies(r.msgs), r.err)
	}
	if d := r.at.Sub(sent); d > 50*time.Millisecond {
		t.Errorf("long poll returned %v after the send, want < 50 ms", d)
	}
}

func TestLongPollTimesOut(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.create("lp-timeout", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"})
	for _, wait := range []*int64{ptr[int64](1), nil} { // explicit, then the queue's default
		start := time.Now()
		out, err := v.e.Receive(v.ctx, q, queue.ReceiveInput{WaitTimeSeconds: wait})
		d := time.Since(start)
		if err != nil || len(out) != 0 || d < 950*time.Millisecond || d > 2*time.Second {
			t.Errorf("wait %v: %d messages, %v, after %v", wait, len(out), err, d)
		}
	}
	start := time.Now()
	if out, _ := v.e.Receive(v.ctx, q, queue.ReceiveInput{WaitTimeSeconds: ptr[int64](0)}); len(out) != 0 || time.Since(start) > 100*time.Millisecond {
		t.Errorf("WaitTimeSeconds 0 overrides the queue default: took %v", time.Since(start))
	}
}

func TestLongPollWakesOnVisibilityExpiry(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.create("lp-vis", nil)
	v.send(q, "m")
	m := v.recvOne(q, 30)
	ch := poll(v.ctx, v.e, q, 5, 30)
	settle()
	changed := time.Now()
	if err := v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 1); err != nil {
		t.Fatal(err)
	}
	r := await(t, ch, 5*time.Second)
	d := r.at.Sub(changed)
	if len(r.msgs) != 1 || r.msgs[0].ReceiveCount != 2 {
		t.Fatalf("poll got %v after %v", bodies(r.msgs), d)
	}
	if d < 900*time.Millisecond || d > 1300*time.Millisecond {
		t.Errorf("message reappeared %v after ChangeVisibility(1 s)", d)
	}
	// Visibility set at receive time, poll started afterwards.
	v.send(q, "n")
	start := time.Now()
	v.recv(q, 10, 1)
	r = await(t, poll(v.ctx, v.e, q, 5, 30), 5*time.Second)
	if d := r.at.Sub(start); len(r.msgs) != 1 || d < 900*time.Millisecond || d > 1300*time.Millisecond {
		t.Errorf("got %v after %v, want n after ~1 s", bodies(r.msgs), d)
	}
}

func TestLongPollWakesOnDelayExpiry(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.create("lp-delay", nil)
	ch := poll(v.ctx, v.e, q, 5, 30)
	settle()
	sent := time.Now()
	v.sendIn(q, queue.SendInput{Body: "later", DelaySeconds: ptr[int64](1)})
	r := await(t, ch, 5*time.Second)
	if d := r.at.Sub(sent); len(r.msgs) != 1 || d < 900*time.Millisecond || d > 1300*time.Millisecond {
		t.Errorf("got %v after %v, want the delayed message after ~1 s", bodies(r.msgs), d)
	}
}

func TestLongPollFifoGroupUnlock(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.fifo("lp-group.fifo", nil)
	v.sendGroup(q, "g", "1", "first")
	v.sendGroup(q, "g", "2", "second")
	m := v.recvOne(q, 30)
	ch := poll(v.ctx, v.e, q, 5, 30)
	settle()
	deleted := time.Now()
	v.del(q, m.ReceiptHandle)
	r := await(t, ch, 5*time.Second)
	if len(r.msgs) != 1 || r.msgs[0].Body != "second" || r.at.Sub(deleted) > 50*time.Millisecond {
		t.Errorf("got %v %v after the delete", bodies(r.msgs), r.at.Sub(deleted))
	}
}

func TestLongPollContextCancel(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.create("lp-ctx", nil)
	ctx, cancel := context.WithCancel(v.ctx)
	ch := poll(ctx, v.e, q, 20, 30)
	settle()
	cancelled := time.Now()
	cancel()
	r := await(t, ch, 2*time.Second)
	if len(r.msgs) != 0 || r.at.Sub(cancelled) > 100*time.Millisecond {
		t.Errorf("cancelled poll: %v after %v", bodies(r.msgs), r.at.Sub(cancelled))
	}
	// The cancelled poll must not swallow the next message.
	v.send(q, "m")
	if got := v.recv(q, 10, 30); len(got) != 1 {
		t.Errorf("received %d", len(got))
	}
}

func TestLongPollCloseAndDeleteQueue(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.create("lp-del", nil)
	ch := poll(v.ctx, v.e, q, 20, 30)
	settle()
	if err := v.e.DeleteQueue(v.ctx, q); err != nil {
		t.Fatal(err)
	}
	if r := await(t, ch, time.Second); queue.ErrorCode(r.err) != queue.ErrQueueDoesNotExist {
		t.Errorf("poll of a deleted queue: %v %v", bodies(r.msgs), r.err)
	}

	e2 := openEnv(t, memstore.New(), nil)
	q2 := e2.create("lp-close", nil)
	chs := []<-chan pollResult{poll(e2.ctx, e2.e, q2, 20, 30), poll(e2.ctx, e2.e, q2, 20, 30)}
	settle()
	closed := time.Now()
	e2.e.Close()
	for _, ch := range chs {
		if r := await(t, ch, time.Second); r.at.Sub(closed) > 100*time.Millisecond {
			t.Errorf("poll returned %v after Close", r.at.Sub(closed))
		}
	}
}

// A poll that gives up (its context ends) at the moment it is chosen to be
// woken must pass the wake-up on: another poll is waiting for that message.
func TestLongPollCancelledWaiterPassesWakeup(t *testing.T) {
	t.Parallel()
	v := newRealEnv(t)
	q := v.create("lp-handoff", nil)
	for i := range 20 {
		ctxA, cancelA := context.WithCancel(v.ctx)
		a := poll(ctxA, v.e, q, 10, 30)
		time.Sleep(20 * time.Millisecond) // a is first in line
		b := poll(v.ctx, v.e, q, 10, 30)
		time.Sleep(20 * time.Millisecond)
		cancelA()
		v.send(q, fmt.Sprint(i))
		ra := await(t, a, 11*time.Second)
		got := len(ra.msgs)
		for _, m := range ra.msgs {
			v.del(q, m.ReceiptHandle)
		}
		select {
		case rb := <-b:
			got += len(rb.msgs)
			for _, m := range rb.msgs {
				v.del(q, m.ReceiptHandle)
			}
		case <-time.After(time.Second):
			t.Fatalf("iteration %d: message sent while the first poll was being cancelled was not delivered to the second poll within 1 s (lost wake-up)", i)
		}
		if got != 1 {
			t.Fatalf("iteration %d: %d deliveries", i, got)
		}
		if err := v.e.Purge(v.ctx, q); err != nil && queue.ErrorCode(err) != queue.ErrPurgeQueueInProgress {
			t.Fatal(err)
		}
		for _, m := range v.recv(q, 10, 0) {
			v.del(q, m.ReceiptHandle)
		}
		wantCounts(t, q, 0, 0, 0)
	}
}

// 200 long pollers, 1000 messages from 10 senders: each message is received
// exactly once, and every goroutine is gone afterwards. Not parallel, so
// that the goroutine count is meaningful.
func TestLongPollManyPollers(t *testing.T) {
	before := runtime.NumGoroutine()
	v := openEnv(t, memstore.New(), nil)
	q := v.create("lp-many", nil)
	const pollers, senders, perSender = 200, 10, 100
	const total = senders * perSender
	ctx, cancel := context.WithTimeout(v.ctx, 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]int{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range pollers {
		wg.Go(func() {
			for ctx.Err() == nil {
				out, err := v.e.Receive(ctx, q, queue.ReceiveInput{Max: 10, WaitTimeSeconds: ptr[int64](2)})
				if err != nil {
					t.Errorf("Receive: %v", err)
					return
				}
				for _, m := range out {
					if err := v.e.Delete(v.ctx, q, m.ReceiptHandle); err != nil {
						t.Errorf("Delete: %v", err)
					}
					mu.Lock()
					seen[m.Body]++
					if len(seen) == total {
						close(done)
					}
					mu.Unlock()
				}
			}
		})
	}
	var sw sync.WaitGroup
	for s := range senders {
		sw.Go(func() {
			for i := range perSender {
				if _, err := v.e.Send(v.ctx, q, queue.SendInput{Body: fmt.Sprintf("%d-%d", s, i), HasBody: true}); err != nil {
					t.Errorf("Send: %v", err)
				}
			}
		})
	}
	sw.Wait()
	select {
	case <-done:
	case <-ctx.Done():
	}
	cancel()
	wg.Wait()
	mu.Lock()
	for b, n := range seen {
		if n != 1 {
			t.Errorf("message %s received %d times", b, n)
		}
	}
	if len(seen) != total {
		t.Errorf("received %d distinct messages, want %d", len(seen), total)
	}
	mu.Unlock()
	wantCounts(t, q, 0, 0, 0)
	v.e.Close()
	eventually(t, 5*time.Second, fmt.Sprintf("goroutines back to %d", before), func() bool {
		return runtime.NumGoroutine() <= before
	})
}
