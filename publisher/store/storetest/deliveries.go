package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher/store"
)

func (h *harness) enqueue(sub string, events ...string) []string {
	h.t.Helper()
	ids, err := h.s.Enqueue(h.ctx, sub, events)
	if err != nil {
		h.t.Fatalf("Enqueue(%s, %q): %v", sub, events, err)
	}
	if len(ids) != len(events) {
		h.t.Fatalf("Enqueue(%s, %q) = %q, want %d ids", sub, events, ids, len(events))
	}
	return ids
}

func testEnqueue(h *harness) {
	h.create(sub("sub-a", "t1"))
	h.create(sub("sub-b", "t1"))
	e1 := h.newEvent("t1", "photo", "1", "sub-a")
	e2 := h.newEvent("t1", "photo", "1")
	e3 := h.newEvent("t1", "video", "9")
	h.append(e1, e2, e3)
	before := h.listDeliveries(store.DeliveryFilter{})

	_, err := h.s.Enqueue(h.ctx, "sub-nope", []string{e1.Event.ID})
	h.wantErr("Enqueue to an unknown subscription", err, store.ErrNotFound)
	_, err = h.s.Enqueue(h.ctx, "sub-b", []string{e1.Event.ID, "evt-nope"})
	h.wantErr("Enqueue of an unknown event", err, store.ErrNotFound)
	if got := h.listDeliveries(store.DeliveryFilter{}); !slices.Equal(got, before) {
		h.t.Fatalf("a failed Enqueue stored deliveries: %q, want %q", got, before)
	}

	ids := h.enqueue("sub-b", e1.Event.ID, e3.Event.ID, e2.Event.ID)
	events := []string{e1.Event.ID, e3.Event.ID, e2.Event.ID}
	seqs := []int64{1, 1, 2}
	for i, id := range ids {
		if id == "" || slices.Contains(before, id) || slices.Contains(ids[:i], id) {
			h.t.Fatalf("Enqueue returned ids %q; deliveries before: %q", ids, before)
		}
		d := h.delivery(id)
		if d.EventID != events[i] || d.SubscriptionID != "sub-b" || d.Tenant != "t1" || d.Sequence != seqs[i] ||
			d.State != store.StatePending || d.Attempts != 0 || d.NextAttemptAt.After(now()) {
			h.t.Errorf("replayed delivery %s = %+v, want event %s, sequence %d, pending, due", id, d, events[i], seqs[i])
		}
	}
	if got := h.listDeliveries(store.DeliveryFilter{SubscriptionID: "sub-b"}); len(got) != 3 {
		h.t.Fatalf("sub-b's deliveries: %q, want 3", got)
	}
	// A second replay of the same event is another delivery.
	again := h.enqueue("sub-a", e1.Event.ID)
	if got := h.listDeliveries(store.DeliveryFilter{EventID: e1.Event.ID, SubscriptionID: "sub-a"}); len(got) != 2 || !slices.Contains(got, again[0]) {
		h.t.Fatalf("deliveries of %s to sub-a: %q, want the original and %s", e1.Event.ID, got, again[0])
	}
	// Due at once: video/9's replay and photo/1's first of each subscription.
	got := h.claim("A", hour, 10, h.base)
	if len(got) != 3 {
		h.t.Fatalf("Claim after Enqueue = %q, want 3 deliveries", deliveryIDs(got))
	}
	if err := h.s.DeleteSubscription(h.ctx, "sub-b"); err != nil {
		h.t.Fatal(err)
	}
	_, err = h.s.Enqueue(h.ctx, "sub-b", []string{e1.Event.ID})
	h.wantErr("Enqueue to a deleted subscription", err, store.ErrNotFound)
}

func testEnqueueOrder(h *harness) {
	h.create(sub("sub-a", "t1"))
	evs := make([]string, 5)
	dls := make([]string, 5)
	for i := range 4 {
		ne := h.newEvent("t1", "photo", "1", "sub-a")
		h.append(ne)
		evs[i+1], dls[i+1] = ne.Event.ID, ne.DeliveryIDs[0]
	}
	// Deliver events 1 and 2; 3 and 4 wait.
	for i := 1; i <= 2; i++ {
		h.wantClaim("A", hour, 10, h.base, dls[i])
		h.finish("A", 1, result(dls[i], store.Delivered, time.Time{}, ""))
	}
	// A replay of event 1 (sequence 1) goes before 3 and 4.
	r1 := h.enqueue("sub-a", evs[1])[0]
	h.wantClaim("A", hour, 10, h.base, r1)
	h.finish("A", 1, result(r1, store.Delivered, time.Time{}, ""))
	h.wantClaim("A", hour, 10, h.base, dls[3])
	// Event 3 is in flight; a replay of event 2 has no earlier pending
	// delivery, so it goes too, and blocks event 4.
	r2 := h.enqueue("sub-a", evs[2])[0]
	h.wantClaim("B", hour, 10, h.base, r2)
	h.finish("A", 1, result(dls[3], store.Delivered, time.Time{}, ""))
	h.wantClaim("B", hour, 10, h.base)
	h.finish("B", 1, result(r2, store.Dead, time.Time{}, "gone"))
	h.wantClaim("B", hour, 10, h.base, dls[4])
}

func testListDeliveries(h *harness) {
	h.create(sub("sub-a", "t1"))
	h.create(sub("sub-b", "t1"))
	e1 := h.newEvent("t1", "photo", "1", "sub-a", "sub-b") // dlv 1, 2
	e2 := h.newEvent("t1", "photo", "2", "sub-b")          // 3
	e3 := h.newEvent("t1", "photo", "3", "sub-a", "sub-b") // 4, 5
	h.append(e1, e2, e3)
	all := h.listDeliveries(store.DeliveryFilter{})
	if len(all) != 5 {
		h.t.Fatalf("ListDeliveries = %q", all)
	}
	h.wantClaim("A", hour, 10, h.base, all...)
	h.finish("A", 3, result(all[0], store.Delivered, time.Time{}, ""), result(all[2], store.Dead, time.Time{}, "x"),
		result(all[3], store.Retry, h.base, "y"))
	pick := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, all[n-1])
		}
		return out
	}
	for _, tt := range []struct {
		f    store.DeliveryFilter
		want []string
	}{
		{store.DeliveryFilter{EventID: e1.Event.ID}, pick(1, 2)},
		{store.DeliveryFilter{EventID: "evt-nope"}, nil},
		{store.DeliveryFilter{SubscriptionID: "sub-b"}, pick(2, 3, 5)},
		{store.DeliveryFilter{SubscriptionID: "sub-b", EventID: e3.Event.ID}, pick(5)},
		{store.DeliveryFilter{State: store.StatePending}, pick(2, 4, 5)},
		{store.DeliveryFilter{State: store.StateDelivered}, pick(1)},
		{store.DeliveryFilter{State: store.StateDead}, pick(3)},
		{store.DeliveryFilter{State: store.StatePending, SubscriptionID: "sub-a"}, pick(4)},
		{store.DeliveryFilter{Limit: 2}, pick(1, 2)},
		{store.DeliveryFilter{After: all[1], Limit: 2}, pick(3, 4)},
		{store.DeliveryFilter{After: all[4]}, nil},
		{store.DeliveryFilter{SubscriptionID: "sub-b", After: all[1], Limit: 1}, pick(3)},
	} {
		if got := h.listDeliveries(tt.f); !slices.Equal(got, tt.want) {
			h.t.Errorf("ListDeliveries(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
	_, err := h.s.GetDelivery(h.ctx, "dlv-nope")
	h.wantErr("GetDelivery(dlv-nope)", err, store.ErrNotFound)
}

func (h *harness) stats() store.Stats {
	h.t.Helper()
	st, err := h.s.Stats(h.ctx)
	if err != nil {
		h.t.Fatalf("Stats: %v", err)
	}
	return st
}

func testStats(h *harness) {
	if st := h.stats(); st != (store.Stats{}) {
		h.t.Fatalf("Stats of an empty store = %+v", st)
	}
	h.create(sub("sub-a", "t1"))
	first := h.newEvent("t1", "photo", "1", "sub-a")
	first.IdempotencyKey = "k"
	h.append(first, h.newEvent("t1", "photo", "2", "sub-a", "sub-a"), h.newEvent("t1", "photo", "3"))
	dup := h.newEvent("t1", "photo", "1", "sub-a")
	dup.IdempotencyKey = "k"
	h.append(dup)
	time.Sleep(2 * time.Millisecond)
	h.append(h.newEvent("t1", "photo", "4", "sub-a"))
	all, err := h.s.ListDeliveries(h.ctx, store.DeliveryFilter{})
	if err != nil || len(all) != 4 {
		h.t.Fatalf("ListDeliveries = %d, %v", len(all), err)
	}
	st := h.stats()
	if st.Pending != 4 || st.Delivered != 0 || st.Dead != 0 || st.Events != 4 || !st.OldestPending.Equal(all[0].CreatedAt) {
		h.t.Fatalf("Stats = %+v, want 4 pending, 4 events, oldest pending created %v", st, all[0].CreatedAt)
	}
	h.wantClaim("A", hour, 10, h.base, all[0].ID, all[1].ID, all[3].ID)
	h.finish("A", 3, result(all[0].ID, store.Delivered, time.Time{}, ""), result(all[1].ID, store.Dead, time.Time{}, "x"),
		result(all[3].ID, store.Retry, h.base, "y"))
	st = h.stats()
	if st.Pending != 2 || st.Delivered != 1 || st.Dead != 1 || st.Events != 4 || !st.OldestPending.Equal(all[2].CreatedAt) {
		h.t.Fatalf("Stats = %+v, want 2 pending, 1 delivered, 1 dead, 4 events, oldest pending created %v", st, all[2].CreatedAt)
	}
	h.wantClaim("A", hour, 10, h.base, all[2].ID, all[3].ID)
	h.finish("A", 2, result(all[2].ID, store.Delivered, time.Time{}, ""), result(all[3].ID, store.Delivered, time.Time{}, ""))
	if st := h.stats(); st.Pending != 0 || st.Delivered != 3 || !st.OldestPending.IsZero() {
		h.t.Fatalf("Stats = %+v, want none pending, 3 delivered, zero OldestPending", st)
	}
}

func testDeletedSubscription(h *harness) {
	h.create(sub("sub-a", "t1"))
	done := h.claimed("A", "1")
	h.finish("A", 1, result(done, store.Retry, h.base, "x"))
	pending := h.deliver("sub-a", "2")
	if err := h.s.DeleteSubscription(h.ctx, "sub-a"); err != nil {
		h.t.Fatal(err)
	}
	// The deliveries and their history stay; the relay still claims them
	// (to mark them dead).
	if got := h.listDeliveries(store.DeliveryFilter{SubscriptionID: "sub-a"}); !slices.Equal(got, []string{done, pending}) {
		h.t.Fatalf("deliveries of a deleted subscription: %q", got)
	}
	h.wantAttempts(done, attempt(1, result(done, store.Retry, h.base, "x")))
	h.wantClaim("A", hour, 10, h.base, pending, done) // pending is due since its creation, done since base
	h.finish("A", 2, result(done, store.Dead, time.Time{}, "deleted"), result(pending, store.Dead, time.Time{}, "deleted"))
}

// testClosed requires every method of a closed store to fail with an error
// wrapping store.ErrClosed.
func testClosed(t *testing.T, open func(t *testing.T) store.Store) {
	h := &harness{t: t, ctx: t.Context(), s: open(t), base: now()}
	h.create(sub("sub-a", "t1"))
	id := h.deliver("sub-a", "1")
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx, s := context.Background(), h.s
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateSubscription", func() error { return s.CreateSubscription(ctx, sub("sub-b", "t1")) }},
		{"UpdateSubscription", func() error { return s.UpdateSubscription(ctx, sub("sub-a", "t1")) }},
		{"DeleteSubscription", func() error { return s.DeleteSubscription(ctx, "sub-a") }},
		{"GetSubscription", func() error { _, err := s.GetSubscription(ctx, "sub-a"); return err }},
		{"ListSubscriptions", func() error { _, err := s.ListSubscriptions(ctx, store.SubscriptionFilter{}); return err }},
		{"Append", func() error { _, err := s.Append(ctx, []store.NewEvent{h.newEvent("t1", "p", "1")}); return err }},
		{"GetEvent", func() error { _, err := s.GetEvent(ctx, "evt-00000001"); return err }},
		{"ListEvents", func() error { _, err := s.ListEvents(ctx, store.EventFilter{}); return err }},
		{"Enqueue", func() error { _, err := s.Enqueue(ctx, "sub-a", []string{"evt-00000001"}); return err }},
		{"Claim", func() error { _, err := s.Claim(ctx, "A", time.Minute, 10, h.base); return err }},
		{"Finish", func() error {
			_, err := s.Finish(ctx, "A", []store.Result{result(id, store.Delivered, time.Time{}, "")})
			return err
		}},
		{"GetDelivery", func() error { _, err := s.GetDelivery(ctx, id); return err }},
		{"ListDeliveries", func() error { _, err := s.ListDeliveries(ctx, store.DeliveryFilter{}); return err }},
		{"Attempts", func() error { _, err := s.Attempts(ctx, id); return err }},
		{"Stats", func() error { _, err := s.Stats(ctx); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: error %v, want %v", c.name, err, store.ErrClosed)
		}
	}
}
