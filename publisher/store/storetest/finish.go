package storetest

import (
	"time"

	"github.com/herald-dev/herald/publisher/store"
)

// claimed appends an event of a new entity to sub-a (created if needed)
// and claims its delivery for owner, returning its id.
func (h *harness) claimed(owner, entity string) string {
	h.t.Helper()
	if _, err := h.s.GetSubscription(h.ctx, "sub-a"); err != nil {
		h.create(sub("sub-a", "t1"))
	}
	id := h.deliver("sub-a", entity)
	h.wantClaim(owner, hour, 1, h.base, id)
	return id
}

func (h *harness) wantAttempts(id string, want ...store.Attempt) {
	h.t.Helper()
	got := h.attempts(id)
	if len(got) != len(want) {
		h.t.Fatalf("Attempts(%s) = %+v, want %+v", id, got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.StartedAt.Equal(w.StartedAt) {
			h.t.Fatalf("Attempts(%s)[%d].StartedAt = %v, want %v", id, i, g.StartedAt, w.StartedAt)
		}
		g.StartedAt, w.StartedAt = time.Time{}, time.Time{}
		if g != w {
			h.t.Fatalf("Attempts(%s)[%d] = %+v, want %+v", id, i, got[i], want[i])
		}
	}
}

func attempt(n int, r store.Result) store.Attempt {
	return store.Attempt{N: n, Outcome: r.Outcome, Error: r.Error, Detail: r.Detail, StartedAt: r.StartedAt, Duration: r.Duration}
}

func testFinishDelivered(h *harness) {
	id := h.claimed("A", "1")
	before := h.delivery(id)
	r := result(id, store.Delivered, time.Time{}, "")
	h.finish("A", 1, r)
	d := h.delivery(id)
	if d.State != store.StateDelivered || d.Attempts != 1 || d.LastError != "" || d.DeliveredAt.IsZero() ||
		d.DeliveredAt.Before(time.Now().Add(-time.Minute)) || d.UpdatedAt.Before(before.UpdatedAt) || !d.CreatedAt.Equal(before.CreatedAt) {
		h.t.Fatalf("after Delivered: %+v", d)
	}
	h.wantAttempts(id, attempt(1, r))
	// Delivered is final: nobody claims it again, and no result applies.
	h.wantClaim("B", hour, 10, h.base.Add(24*hour))
	h.finish("A", 0, result(id, store.Retry, h.base, "x"))
	if d := h.delivery(id); d.State != store.StateDelivered || d.Attempts != 1 {
		h.t.Fatalf("a result after Delivered changed the delivery: %+v", d)
	}
}

func testFinishRetry(h *harness) {
	id := h.claimed("A", "1")
	next := h.base.Add(5 * minute)
	r1 := result(id, store.Retry, next, "503 Service Unavailable")
	r1.Detail = "HTTP 503"
	h.finish("A", 1, r1)
	d := h.delivery(id)
	if d.State != store.StatePending || d.Attempts != 1 || d.LastError != r1.Error || !d.NextAttemptAt.Equal(next) || !d.DeliveredAt.IsZero() {
		h.t.Fatalf("after Retry: %+v, want pending, 1 attempt, due at %v", d, next)
	}
	// The lease is released: claimable once due, by anyone.
	h.wantClaim("B", hour, 10, next.Add(-time.Second))
	h.wantClaim("B", hour, 10, next, id)
	r2 := result(id, store.Retry, next.Add(minute), "timeout")
	r2.StartedAt = r1.StartedAt.Add(5 * minute)
	r2.Duration = 30 * time.Second
	h.finish("B", 1, r2)
	h.wantClaim("C", hour, 10, next.Add(minute), id)
	r3 := result(id, store.Delivered, time.Time{}, "")
	r3.StartedAt = r2.StartedAt.Add(minute)
	h.finish("C", 1, r3)
	d = h.delivery(id)
	// LastError is the last failed attempt's.
	if d.State != store.StateDelivered || d.Attempts != 3 || d.LastError != "timeout" {
		h.t.Fatalf("after Retry, Retry, Delivered: %+v", d)
	}
	h.wantAttempts(id, attempt(1, r1), attempt(2, r2), attempt(3, r3))
}

func testFinishDead(h *harness) {
	id := h.claimed("A", "1")
	r := result(id, store.Dead, time.Time{}, "410 Gone")
	r.Detail = "HTTP 410"
	h.finish("A", 1, r)
	d := h.delivery(id)
	if d.State != store.StateDead || d.Attempts != 1 || d.LastError != "410 Gone" || !d.DeliveredAt.IsZero() {
		h.t.Fatalf("after Dead: %+v", d)
	}
	h.wantAttempts(id, attempt(1, r))
	h.wantClaim("B", hour, 10, h.base.Add(24*hour))
}

func testFinishReleased(h *harness) {
	id := h.claimed("A", "1")
	r1 := result(id, store.Retry, h.base, "first failure")
	h.finish("A", 1, r1)
	h.wantClaim("A", hour, 1, h.base, id)
	next := h.base.Add(3 * minute)
	h.finish("A", 1, result(id, store.Released, next, ""))
	d := h.delivery(id)
	if d.State != store.StatePending || d.Attempts != 1 || !d.NextAttemptAt.Equal(next) || d.LastError != "first failure" {
		h.t.Fatalf("after Released: %+v, want pending, attempts unchanged at 1, due at %v, last error kept", d, next)
	}
	// No attempt was made, so none is recorded.
	h.wantAttempts(id, attempt(1, r1))
	h.wantClaim("B", hour, 1, next.Add(-time.Microsecond))
	h.wantClaim("B", hour, 1, next, id)
}

func testFinishSkipped(h *harness) {
	h.create(sub("sub-a", "t1"))
	id := h.claimed("A", "2")
	unclaimed := h.deliver("sub-a", "1")
	// Unknown ids, deliveries never claimed, another owner's: skipped.
	h.finish("A", 0, result("dlv-nope", store.Delivered, time.Time{}, ""))
	h.finish("A", 0, result(unclaimed, store.Delivered, time.Time{}, ""))
	h.finish("B", 0, result(id, store.Delivered, time.Time{}, ""))
	if d := h.delivery(unclaimed); d.State != store.StatePending || d.Attempts != 0 {
		h.t.Fatalf("a result for an unclaimed delivery changed it: %+v", d)
	}
	if d := h.delivery(id); d.State != store.StatePending || d.Attempts != 0 {
		h.t.Fatalf("a result from a non-owner changed the delivery: %+v", d)
	}
	h.wantAttempts(id)
	// Mixed: only the held one counts; a second result for it in the same
	// call finds its lease released.
	h.finish("A", 1,
		result("dlv-nope", store.Dead, time.Time{}, "x"),
		result(id, store.Retry, h.base, "once"),
		result(unclaimed, store.Dead, time.Time{}, "x"),
		result(id, store.Dead, time.Time{}, "twice"))
	if d := h.delivery(id); d.State != store.StatePending || d.Attempts != 1 || d.LastError != "once" {
		h.t.Fatalf("after a mixed Finish: %+v", d)
	}
	// An empty Finish applies nothing.
	h.finish("A", 0)
	// An unknown outcome is an error.
	h.wantClaim("A", hour, 1, h.base, unclaimed)
	if _, err := h.s.Finish(h.ctx, "A", []store.Result{result(unclaimed, "exploded", time.Time{}, "")}); err == nil {
		h.t.Fatal("Finish with an unknown outcome: no error")
	}
}

func testAttempts(h *harness) {
	id := h.claimed("A", "1")
	h.wantAttempts(id)
	var want []store.Attempt
	for i := range 4 {
		r := result(id, store.Retry, h.base, "")
		r.Error = "failure " + string(rune('a'+i))
		r.Detail = "detail " + string(rune('a'+i))
		r.StartedAt = r.StartedAt.Add(time.Duration(i) * time.Minute)
		r.Duration = time.Duration(i+1) * 1500 * time.Millisecond
		h.finish("A", 1, r)
		want = append(want, attempt(i+1, r))
		h.wantClaim("A", hour, 1, h.base, id)
		h.finish("A", 1, result(id, store.Released, h.base, "")) // not an attempt
		h.wantClaim("A", hour, 1, h.base, id)
	}
	r := result(id, store.Dead, time.Time{}, "gave up")
	r.Detail = ""
	r.Duration = 0
	h.finish("A", 1, r)
	want = append(want, attempt(5, r))
	h.wantAttempts(id, want...)
	if d := h.delivery(id); d.Attempts != 5 || d.State != store.StateDead {
		h.t.Fatalf("after 5 attempts: %+v", d)
	}
	// Attempts are per delivery.
	other := h.claimed("A", "2")
	h.wantAttempts(other)
}
