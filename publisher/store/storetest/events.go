package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
)

// sameEvent reports how got differs from want ("" when it does not).
func sameEvent(got, want *publisher.Event) string {
	if got == nil {
		return "nil event"
	}
	g, w := *got, *want
	if !g.OccurredAt.Equal(w.OccurredAt) {
		return fmt.Sprintf("OccurredAt %v, want %v", g.OccurredAt, w.OccurredAt)
	}
	if !sameJSON(g.Data, w.Data) {
		return fmt.Sprintf("Data %s, want %s", g.Data, w.Data)
	}
	g.OccurredAt, w.OccurredAt, g.Data, w.Data = time.Time{}, time.Time{}, nil, nil
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("\n got %+v\nwant %+v", g, w)
	}
	return ""
}

// sameJSON reports whether a and b hold the same JSON value (both empty
// counts as the same).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func (h *harness) wantEvent(want *publisher.Event) {
	h.t.Helper()
	got, err := h.s.GetEvent(h.ctx, want.ID)
	if err != nil {
		h.t.Fatalf("GetEvent(%s): %v", want.ID, err)
	}
	if diff := sameEvent(got, want); diff != "" {
		h.t.Fatalf("GetEvent(%s): %s", want.ID, diff)
	}
}

func (h *harness) wantSequences(got []store.Appended, want ...int64) {
	h.t.Helper()
	for i, a := range got {
		if a.Event == nil || a.Event.Sequence != want[i] || a.Duplicate {
			h.t.Fatalf("Append result %d = %+v, want sequence %d, not a duplicate", i, a, want[i])
		}
	}
}

func testAppendSequences(h *harness) {
	// One call, several events of one entity, mixed with others.
	evs := []store.NewEvent{
		h.newEvent("t1", "photo", "1"),
		h.newEvent("t1", "photo", "1"),
		h.newEvent("t1", "photo", "2"),
		h.newEvent("t1", "video", "1"), // another type, same id
		h.newEvent("t2", "photo", "1"), // another tenant
		h.newEvent("t1", "photo", "1"),
	}
	got := h.append(evs...)
	h.wantSequences(got, 1, 2, 1, 1, 1, 3)
	for i, ne := range evs {
		if ne.Event.Sequence != got[i].Event.Sequence {
			h.t.Fatalf("event %d: Append did not set Sequence on the event given (%d, want %d)", i, ne.Event.Sequence, got[i].Event.Sequence)
		}
		h.wantEvent(got[i].Event)
	}
	// Later calls go on counting.
	h.wantSequences(h.append(h.newEvent("t1", "photo", "2"), h.newEvent("t1", "photo", "1")), 2, 4)
	h.wantSequences(h.append(h.newEvent("t2", "photo", "1")), 2)
	h.wantSequences(h.append(h.newEvent("t1", "photo", "3")), 1)
	// An empty call does nothing.
	if got, err := h.s.Append(h.ctx, nil); err != nil || len(got) != 0 {
		h.t.Fatalf("Append(nil) = %v, %v", got, err)
	}
}

func testAppendDeliveries(h *harness) {
	h.create(sub("sub-a", "t1"))
	h.create(sub("sub-b", "t1"))
	before := time.Now()
	e1 := h.newEvent("t1", "photo", "1", "sub-a", "sub-b")
	e2 := h.newEvent("t1", "photo", "1", "sub-b")
	e3 := h.newEvent("t1", "photo", "2") // matched nothing
	got := h.append(e1, e2, e3)
	h.wantSequences(got, 1, 2, 1)
	want := []struct {
		id, event, sub string
		seq            int64
	}{
		{e1.DeliveryIDs[0], e1.Event.ID, "sub-a", 1},
		{e1.DeliveryIDs[1], e1.Event.ID, "sub-b", 1},
		{e2.DeliveryIDs[0], e2.Event.ID, "sub-b", 2},
	}
	var ids []string
	for _, w := range want {
		ids = append(ids, w.id)
		d := h.delivery(w.id)
		if d.EventID != w.event || d.SubscriptionID != w.sub || d.Tenant != "t1" || d.EntityType != "photo" ||
			d.EntityID != "1" || d.Sequence != w.seq || d.State != store.StatePending || d.Attempts != 0 || d.LastError != "" {
			h.t.Errorf("delivery %s = %+v, want event %s to %s, sequence %d, pending", w.id, d, w.event, w.sub, w.seq)
		}
		if d.NextAttemptAt.IsZero() || d.NextAttemptAt.After(now()) || d.CreatedAt.IsZero() || d.UpdatedAt.IsZero() ||
			d.CreatedAt.Before(before.Add(-time.Minute)) || !d.DeliveredAt.IsZero() || d.Event != nil {
			h.t.Errorf("delivery %s = %+v, want due at once, created now, not delivered, no event", w.id, d)
		}
	}
	if got := h.listDeliveries(store.DeliveryFilter{}); !slices.Equal(got, ids) {
		h.t.Fatalf("ListDeliveries = %q, want %q", got, ids)
	}
	// Due at once: claimable now (one per subscription and entity).
	h.wantClaim("A", minute, 10, h.base, e1.DeliveryIDs[0], e1.DeliveryIDs[1])
}

func testAppendIdempotency(h *harness) {
	h.create(sub("sub-a", "t1"))
	first := h.newEvent("t1", "photo", "1", "sub-a")
	first.IdempotencyKey = "k1"
	h.wantSequences(h.append(first), 1)

	again := h.newEvent("t1", "photo", "1", "sub-a")
	again.IdempotencyKey = "k1"
	again.Event.Status = "OTHER"
	other := h.newEvent("t2", "photo", "1", "sub-a") // same key, another tenant
	other.IdempotencyKey = "k1"
	nokey := h.newEvent("t1", "photo", "1", "sub-a")
	nokey2 := h.newEvent("t1", "photo", "1", "sub-a")
	inCall := h.newEvent("t1", "photo", "9", "sub-a")
	inCall.IdempotencyKey = "k2"
	inCall2 := h.newEvent("t1", "photo", "9", "sub-a")
	inCall2.IdempotencyKey = "k2"
	got := h.append(again, other, nokey, nokey2, inCall, inCall2)

	if !got[0].Duplicate || sameEvent(got[0].Event, first.Event) != "" {
		h.t.Fatalf("duplicate key: result %+v, want the first event %+v as a duplicate", got[0], first.Event)
	}
	if got[1].Duplicate || got[1].Event.ID != other.Event.ID || got[1].Event.Sequence != 1 {
		h.t.Fatalf("same key in another tenant: result %+v, want a new event with sequence 1", got[1])
	}
	// No sequence number was used by the duplicate.
	if got[2].Duplicate || got[2].Event.Sequence != 2 || got[3].Duplicate || got[3].Event.Sequence != 3 {
		h.t.Fatalf("events without a key: %+v, %+v; want sequences 2 and 3, not duplicates", got[2], got[3])
	}
	if got[4].Duplicate || got[4].Event.Sequence != 1 || !got[5].Duplicate || got[5].Event.ID != inCall.Event.ID {
		h.t.Fatalf("a key used twice in one call: %+v, %+v; want the second a duplicate of the first", got[4], got[5])
	}
	_, err := h.s.GetEvent(h.ctx, again.Event.ID)
	h.wantErr("GetEvent of a duplicate", err, store.ErrNotFound)
	_, err = h.s.GetEvent(h.ctx, inCall2.Event.ID)
	h.wantErr("GetEvent of a duplicate", err, store.ErrNotFound)
	h.wantEvent(first.Event)
	for _, id := range []string{again.DeliveryIDs[0], inCall2.DeliveryIDs[0]} {
		_, err := h.s.GetDelivery(h.ctx, id)
		h.wantErr("GetDelivery of a duplicate's delivery", err, store.ErrNotFound)
	}
	if got := h.listDeliveries(store.DeliveryFilter{EventID: first.Event.ID}); len(got) != 1 {
		h.t.Fatalf("deliveries of the first event: %q, want one", got)
	}
	// Still a duplicate later, alone.
	again.Event.ID, again.DeliveryIDs[0] = h.eventID(), h.deliveryID()
	if got := h.append(again); !got[0].Duplicate || got[0].Event.ID != first.Event.ID || got[0].Event.Sequence != 1 {
		h.t.Fatalf("duplicate key again: %+v", got[0])
	}
	h.wantSequences(h.append(h.newEvent("t1", "photo", "1")), 4)
}

func testAppendAtomic(h *harness) {
	h.create(sub("sub-a", "t1"))
	stored := h.newEvent("t1", "photo", "1", "sub-a")
	h.append(stored)
	bad := []struct {
		name  string
		batch func() []store.NewEvent
	}{
		{"an event id in use", func() []store.NewEvent {
			dup := h.newEvent("t2", "video", "7", "sub-a")
			dup.Event.ID = stored.Event.ID
			return []store.NewEvent{h.newEvent("t1", "photo", "1", "sub-a"), dup}
		}},
		{"an event id twice in the call", func() []store.NewEvent {
			a, b := h.newEvent("t1", "photo", "1", "sub-a"), h.newEvent("t1", "photo", "2", "sub-a")
			b.Event.ID = a.Event.ID
			return []store.NewEvent{a, b}
		}},
		{"a delivery id in use", func() []store.NewEvent {
			dup := h.newEvent("t1", "photo", "2", "sub-a")
			dup.DeliveryIDs[0] = stored.DeliveryIDs[0]
			return []store.NewEvent{h.newEvent("t1", "photo", "1", "sub-a"), dup}
		}},
		{"fewer delivery ids than subscriptions", func() []store.NewEvent {
			short := h.newEvent("t1", "photo", "2", "sub-a", "sub-a")
			short.DeliveryIDs = short.DeliveryIDs[:1]
			return []store.NewEvent{h.newEvent("t1", "photo", "1", "sub-a"), short}
		}},
	}
	for _, tt := range bad {
		batch := tt.batch()
		batch[0].IdempotencyKey = "key-" + tt.name
		if _, err := h.s.Append(h.ctx, batch); err == nil {
			h.t.Fatalf("Append with %s: no error", tt.name)
		}
		for _, ne := range batch {
			if ne.Event.ID != stored.Event.ID {
				_, err := h.s.GetEvent(h.ctx, ne.Event.ID)
				h.wantErr("GetEvent after a failed Append ("+tt.name+")", err, store.ErrNotFound)
			}
		}
		// The idempotency key was not taken.
		retry := h.newEvent("t1", "photo", "3")
		retry.IdempotencyKey = batch[0].IdempotencyKey
		if got := h.append(retry); got[0].Duplicate {
			h.t.Fatalf("after a failed Append with %s, its idempotency key is known", tt.name)
		}
	}
	h.wantEvent(stored.Event)
	if got := h.listDeliveries(store.DeliveryFilter{}); !slices.Equal(got, stored.DeliveryIDs) {
		h.t.Fatalf("deliveries after failed Appends: %q, want %q", got, stored.DeliveryIDs)
	}
	// No sequence number was used by the failed calls.
	h.wantSequences(h.append(h.newEvent("t1", "photo", "1"), h.newEvent("t1", "photo", "2")), 2, 1)
}

func testEventRoundTrip(h *harness) {
	zone := time.FixedZone("Y", -5*3600)
	evs := []*publisher.Event{
		{ID: h.eventID(), Tenant: "t1", EntityType: "photo", EntityID: "1419977", Type: "photo.status_changed", Status: "DOWNLOADED",
			OccurredAt: time.Date(2025, 3, 14, 15, 9, 26, 535_897_000, zone),
			Data:       []byte(`{"url":"https://x/1.jpg","size":1024,"tags":["a","b"],"nested":{"k":null,"f":1.5,"u":"\u00e9 ☃ <&>"}}`)},
		{ID: h.eventID(), Tenant: "t1", EntityType: "job", EntityID: "j-1", Type: "job-completed",
			OccurredAt: time.Date(1999, 12, 31, 23, 59, 59, 1000, time.UTC)},
		{ID: h.eventID(), Tenant: "t1", EntityType: "x", EntityID: "quote'\"and\\", Type: "t", OccurredAt: time.Unix(1, 0),
			Data: []byte(`"just a string"`)},
		{ID: h.eventID(), Tenant: "t1", EntityType: "x", EntityID: "arr", Type: "t", OccurredAt: time.Unix(1, 0), Data: []byte(`[1,2,3]`)},
	}
	var batch []store.NewEvent
	for _, e := range evs {
		batch = append(batch, store.NewEvent{Event: e})
	}
	for i, a := range h.append(batch...) {
		if diff := sameEvent(a.Event, evs[i]); diff != "" {
			h.t.Errorf("Append result %d: %s", i, diff)
		}
		h.wantEvent(evs[i])
	}
	_, err := h.s.GetEvent(h.ctx, "evt-nope")
	h.wantErr("GetEvent(evt-nope)", err, store.ErrNotFound)
}

func testListEvents(h *harness) {
	at := func(min int) time.Time { return time.Date(2025, 5, 1, 10, min, 0, 0, time.UTC) }
	var all []*publisher.Event
	add := func(tenant, etype, eid string, min int) {
		ne := h.newEvent(tenant, etype, eid)
		ne.Event.OccurredAt = at(min)
		all = append(all, ne.Event)
		h.append(ne)
	}
	add("a", "photo", "1", 5) // evt 1
	add("a", "photo", "2", 1) // 2
	add("b", "photo", "1", 3) // 3
	add("a", "photo", "1", 2) // 4
	add("a", "video", "1", 9) // 5
	add("a", "photo", "1", 7) // 6
	id := func(n int) string { return all[n-1].ID }
	ids := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, id(n))
		}
		return out
	}
	for _, tt := range []struct {
		f    store.EventFilter
		want []string
	}{
		{store.EventFilter{}, ids(1, 2, 3, 4, 5, 6)},
		{store.EventFilter{Tenant: "a"}, ids(1, 2, 4, 5, 6)},
		{store.EventFilter{Tenant: "b"}, ids(3)},
		{store.EventFilter{Tenant: "c"}, nil},
		{store.EventFilter{Tenant: "a", EntityType: "photo", EntityID: "1"}, ids(1, 4, 6)},
		{store.EventFilter{EntityType: "photo", EntityID: "1"}, ids(1, 3, 4, 6)},
		{store.EventFilter{From: at(2)}, ids(1, 3, 4, 5, 6)},
		{store.EventFilter{To: at(5)}, ids(2, 3, 4)},
		{store.EventFilter{From: at(2), To: at(7)}, ids(1, 3, 4)},
		{store.EventFilter{From: at(5), To: at(5)}, nil},
		{store.EventFilter{Limit: 2}, ids(1, 2)},
		{store.EventFilter{After: id(2), Limit: 2}, ids(3, 4)},
		{store.EventFilter{After: id(6)}, nil},
		{store.EventFilter{Tenant: "a", EntityType: "photo", EntityID: "1", After: id(1), Limit: 1}, ids(4)},
		{store.EventFilter{Tenant: "a", From: at(2), To: at(9), After: id(1)}, ids(4, 6)},
	} {
		got, err := h.s.ListEvents(h.ctx, tt.f)
		if err != nil {
			h.t.Fatalf("ListEvents(%+v): %v", tt.f, err)
		}
		var gotIDs []string
		for _, e := range got {
			gotIDs = append(gotIDs, e.ID)
			for _, w := range all {
				if w.ID == e.ID {
					if diff := sameEvent(e, w); diff != "" {
						h.t.Errorf("ListEvents: %s: %s", e.ID, diff)
					}
				}
			}
		}
		if !slices.Equal(gotIDs, tt.want) {
			h.t.Errorf("ListEvents(%+v) = %q, want %q", tt.f, gotIDs, tt.want)
		}
	}
}
