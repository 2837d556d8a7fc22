// Package groupcommit is the group commit the durable stores share: callers
// queue write requests, and one writer goroutine takes the requests waiting
// at that moment as a group, serves the whole group at once (one
// transaction, one fsync) and answers every request in it. While it serves
// a group, the next one gathers.
//
// A request waits in the queue until the writer takes it or its caller
// abandons it. Once taken, it is always answered, whatever the caller's
// context does: a caller whose context ends then still waits for the
// answer, so that it never returns while its write may yet happen. A
// caller whose context ends before the writer took its request abandons
// it and returns the context's error; the writer drops the request
// unserved.
//
// The writer takes requests in arrival order. A Policy bounds a group:
// by the number of requests, by a weight of each (such as its count of
// ops), or by keeping some requests alone in a group of their own.
package groupcommit

import (
	"context"
	"sync"
	"sync/atomic"
)

// A request's states: waiting moves to taken (by the writer, which then
// always answers on done) or to abandoned (by its caller, whose context
// ended first; the writer then drops it).
const (
	waiting int32 = iota
	taken
	abandoned
)

// Request is the queue's part of a request. Stores embed it in their
// request type and queue pointers to that type; a Request must not be
// copied. The zero value is ready for use.
//
// A request may be queued again once the Wait (or Submit) of its last
// queuing returned, unless it was abandoned: an abandoned request may
// still sit in the queue until the writer drops it, so it must never be
// queued again (nor reused for anything the writer could see).
type Request struct {
	state atomic.Int32
	done  chan error // capacity 1: the writer never blocks on it
}

func (r *Request) groupRequest() *Request { return r }

// Abandoned reports whether the request's caller gave up on it before the
// writer took it: the request was then never served, and must not be
// queued again.
func (r *Request) Abandoned() bool { return r.state.Load() == abandoned }

// Item is what a Queue holds: a pointer to a type that embeds Request.
type Item interface {
	groupRequest() *Request
}

// Policy decides which of the waiting requests the writer takes as one
// group. A group always holds at least one request, however heavy.
type Policy[R any] struct {
	// MaxWeight caps the total weight of a group's requests.
	MaxWeight int
	// Weight is a request's weight. When nil every request weighs 1, and
	// MaxWeight caps the number of requests in a group.
	Weight func(R) int
	// Alone reports whether a request is served in a group of its own: it
	// ends the group before it, and the writer takes nothing after it.
	// When nil no request is.
	Alone func(R) bool
}

// Queue is a queue of requests served in groups by one writer goroutine,
// which runs Run. Its methods are safe for concurrent use.
type Queue[R Item] struct {
	policy    Policy[R]
	errClosed error

	mu      sync.Mutex
	closed  bool
	pending []R // queued, not yet taken by the writer, in arrival order
	wake    chan struct{}
	stopped chan struct{} // closed when Run returns

	unanswered atomic.Int64
}

// New returns an open Queue that groups requests by policy. Its Enqueue
// and Submit return errClosed once it is closed. Start the writer with
// go q.Run(serve).
func New[R Item](policy Policy[R], errClosed error) *Queue[R] {
	return &Queue[R]{
		policy:    policy,
		errClosed: errClosed,
		wake:      make(chan struct{}, 1),
		stopped:   make(chan struct{}),
	}
}

// Submit queues r and waits for its answer, which it returns. If ctx ends
// before the writer took r, Submit abandons r and returns ctx.Err(): r is
// then never served. Once r is taken, Submit waits for its answer whatever
// ctx does. After Close it returns the queue's closed error at once.
func (q *Queue[R]) Submit(ctx context.Context, r R) error {
	if err := q.Enqueue(r); err != nil {
		return err
	}
	return q.Wait(ctx, r)
}

// Enqueue queues rs in order without waiting, all at once, so that none of
// them arrives between two others; the writer may take them as one group.
// Each must then be waited for with Wait. After Close, Enqueue queues
// nothing and returns the queue's closed error.
func (q *Queue[R]) Enqueue(rs ...R) error {
	for _, r := range rs {
		req := r.groupRequest()
		req.state.Store(waiting)
		if req.done == nil {
			req.done = make(chan error, 1)
		}
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return q.errClosed
	}
	q.pending = append(q.pending, rs...)
	q.unanswered.Add(int64(len(rs)))
	q.mu.Unlock()
	q.signal()
	return nil
}

// Wait waits for the answer to r, which Enqueue queued, and returns it. If
// ctx ends before the writer took r, Wait abandons r and returns ctx.Err();
// once r is taken, Wait waits for its answer whatever ctx does.
func (q *Queue[R]) Wait(ctx context.Context, r R) error {
	req := r.groupRequest()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(waiting, abandoned) {
			q.unanswered.Add(-1)
			return ctx.Err()
		}
		return <-req.done
	}
}

// Run is the writer: it takes one group after another and calls serve with
// each, until the queue is closed and empty. serve gets the group's
// requests in arrival order and sets errs[i], nil on entry, to the answer
// for group[i]; once serve returns, Run answers every request of the
// group. Start Run once, in a goroutine of its own; Close waits for it to
// return.
func (q *Queue[R]) Run(serve func(group []R, errs []error)) {
	defer close(q.stopped)
	var group []R
	var errs []error
	for {
		q.mu.Lock()
		group = q.takeLocked(group[:0])
		idle, closing := len(q.pending) == 0, q.closed
		q.mu.Unlock()
		if len(group) > 0 {
			if cap(errs) < len(group) {
				errs = make([]error, len(group))
			}
			errs = errs[:len(group)]
			serve(group, errs)
			for i, r := range group {
				q.unanswered.Add(-1)
				r.groupRequest().done <- errs[i]
			}
			clear(group)
			clear(errs)
			continue
		}
		if idle && closing {
			return
		}
		if idle {
			<-q.wake
		}
	}
}

// takeLocked moves waiting requests from pending to group in arrival
// order, as the policy allows, and drops abandoned ones. q.mu is held.
func (q *Queue[R]) takeLocked(group []R) []R {
	weight, i := 0, 0
	for ; i < len(q.pending); i++ {
		r := q.pending[i]
		w := 1
		if q.policy.Weight != nil {
			w = q.policy.Weight(r)
		}
		alone := q.policy.Alone != nil && q.policy.Alone(r)
		if len(group) > 0 && (alone || weight+w > q.policy.MaxWeight) {
			break
		}
		if !r.groupRequest().state.CompareAndSwap(waiting, taken) {
			continue
		}
		group = append(group, r)
		weight += w
		if alone {
			i++
			break
		}
	}
	rest := copy(q.pending, q.pending[i:])
	clear(q.pending[rest:])
	q.pending = q.pending[:rest]
	return group
}

func (q *Queue[R]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Close closes the queue to new requests, lets the writer serve every
// request already queued and waits for Run to return. Run must have been
// started. Calling Close again only waits for Run again.
func (q *Queue[R]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
	<-q.stopped
}

// Closed reports whether Close was called.
func (q *Queue[R]) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// Len returns the number of requests queued and not yet taken by the
// writer, abandoned ones it has not dropped yet included.
func (q *Queue[R]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// Waiting returns the number of requests queued and neither answered nor
// abandoned yet: those waiting in the queue and those in the group the
// writer is serving.
func (q *Queue[R]) Waiting() int64 {
	return q.unanswered.Load()
}
