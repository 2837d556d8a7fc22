package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// sub returns a subscription with every field set.
func sub(id, tenant string) *subscription.Subscription {
	yes, no := true, false
	created := time.Date(2025, 1, 2, 3, 4, 5, 678_901_000, time.UTC)
	return &subscription.Subscription{
		ID:            id,
		Tenant:        tenant,
		EventTypes:    []string{"photo.*", "job-completed"},
		Statuses:      []string{"DOWNLOADED", "COMPLETED"},
		Filter:        []subscription.Condition{{Path: "person.organization.id", Equals: []string{"42", "43"}}, {Path: "/a/b", Exists: &yes}, {Path: "c", Exists: &no}},
		Destination:   subscription.Destination{Type: subscription.DestinationHTTPS, URL: "https://hooks.example.com/" + id, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2VjcmV0"}},
		Format:        "json",
		FormatVersion: "1",
		Active:        true,
		CreatedAt:     created,
		UpdatedAt:     created.Add(90 * time.Minute).In(time.FixedZone("X", 3600)),
	}
}

// sameSub reports how got differs from want ("" when it does not): every
// field, times to the instant, nil and empty lists alike.
func sameSub(got, want *subscription.Subscription) string {
	if got == nil {
		return "nil subscription"
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		return fmt.Sprintf("times %v, %v; want %v, %v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	norm := func(s *subscription.Subscription) string {
		c := &subscription.Subscription{
			ID: s.ID, Tenant: s.Tenant, EventTypes: s.EventTypes, Statuses: s.Statuses,
			Destination: s.Destination, Format: s.Format, FormatVersion: s.FormatVersion, Active: s.Active,
		}
		for _, cond := range s.Filter {
			if len(cond.Equals) == 0 {
				cond.Equals = nil
			}
			c.Filter = append(c.Filter, cond)
		}
		for _, l := range []*[]string{&c.EventTypes, &c.Statuses, &c.Destination.Brokers, &c.Destination.Secrets} {
			if len(*l) == 0 {
				*l = nil
			}
		}
		b, _ := json.Marshal(c)
		return string(b)
	}
	if g, w := norm(got), norm(want); g != w {
		return fmt.Sprintf("\n got %s\nwant %s", g, w)
	}
	return ""
}

func (h *harness) create(s *subscription.Subscription) {
	h.t.Helper()
	if err := h.s.CreateSubscription(h.ctx, s); err != nil {
		h.t.Fatalf("CreateSubscription(%s): %v", s.ID, err)
	}
}

func (h *harness) wantSub(want *subscription.Subscription) {
	h.t.Helper()
	got, err := h.s.GetSubscription(h.ctx, want.ID)
	if err != nil {
		h.t.Fatalf("GetSubscription(%s): %v", want.ID, err)
	}
	if diff := sameSub(got, want); diff != "" {
		h.t.Fatalf("GetSubscription(%s): %s", want.ID, diff)
	}
}

func testSubscriptionRoundTrip(h *harness) {
	full := sub("sub-1", "t1")
	h.create(full)
	h.wantSub(full)

	yes := true
	kafka := &subscription.Subscription{
		ID:          "sub-2",
		Tenant:      "t1",
		Filter:      []subscription.Condition{{Path: "x", Exists: &yes}},
		Destination: subscription.Destination{Type: subscription.DestinationKafka, Topic: "archive", Brokers: []string{"k1:9092", "[::1]:9093"}},
		CreatedAt:   time.Date(2024, 2, 29, 23, 59, 59, 999_999_000, time.UTC),
		UpdatedAt:   time.Date(2024, 2, 29, 23, 59, 59, 999_999_000, time.UTC),
	}
	h.create(kafka)
	h.wantSub(kafka)
	// The stored subscription is a copy: changing the value given does not
	// change it.
	kafka.Tenant = "changed"
	kafka.Destination.Brokers[0] = "changed:1"
	got, err := h.s.GetSubscription(h.ctx, "sub-2")
	if err != nil || got.Tenant != "t1" || got.Destination.Brokers[0] != "k1:9092" {
		h.t.Fatalf("GetSubscription after changing the created value = %+v, %v", got, err)
	}
	// The exists pointer survives as false, not only as true.
	if f := got.Filter; len(f) != 1 || f[0].Exists == nil || !*f[0].Exists {
		h.t.Fatalf("filter = %+v", f)
	}
	full2, _ := h.s.GetSubscription(h.ctx, "sub-1")
	if f := full2.Filter; len(f) != 3 || f[2].Exists == nil || *f[2].Exists || f[0].Exists != nil {
		h.t.Fatalf("filter = %+v", f)
	}
}

func testSubscriptionErrors(h *harness) {
	h.create(sub("sub-1", "t1"))
	h.wantErr("CreateSubscription of an id in use", h.s.CreateSubscription(h.ctx, sub("sub-1", "t2")), store.ErrConflict)
	h.wantSub(sub("sub-1", "t1")) // unchanged
	_, err := h.s.GetSubscription(h.ctx, "nope")
	h.wantErr("GetSubscription(nope)", err, store.ErrNotFound)
	h.wantErr("UpdateSubscription(nope)", h.s.UpdateSubscription(h.ctx, sub("nope", "t1")), store.ErrNotFound)
	h.wantErr("DeleteSubscription(nope)", h.s.DeleteSubscription(h.ctx, "nope"), store.ErrNotFound)
	if _, err := h.s.GetSubscription(h.ctx, "nope"); err == nil {
		h.t.Fatal("UpdateSubscription of an unknown id created it")
	}
}

func testSubscriptionUpdateDelete(h *harness) {
	h.create(sub("sub-1", "t1"))
	h.create(sub("sub-2", "t1"))
	upd := sub("sub-1", "t1")
	upd.EventTypes = nil
	upd.Statuses = []string{"X"}
	upd.Filter = nil
	upd.Destination = subscription.Destination{Type: subscription.DestinationSQS, URL: "https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo"}
	upd.Active = false
	upd.UpdatedAt = upd.UpdatedAt.Add(time.Hour)
	if err := h.s.UpdateSubscription(h.ctx, upd); err != nil {
		h.t.Fatalf("UpdateSubscription: %v", err)
	}
	h.wantSub(upd)
	h.wantSub(sub("sub-2", "t1"))
	if err := h.s.DeleteSubscription(h.ctx, "sub-1"); err != nil {
		h.t.Fatalf("DeleteSubscription: %v", err)
	}
	_, err := h.s.GetSubscription(h.ctx, "sub-1")
	h.wantErr("GetSubscription of a deleted subscription", err, store.ErrNotFound)
	h.wantErr("DeleteSubscription twice", h.s.DeleteSubscription(h.ctx, "sub-1"), store.ErrNotFound)
	h.wantSub(sub("sub-2", "t1"))
	// The id may be used again.
	h.create(sub("sub-1", "t3"))
	h.wantSub(sub("sub-1", "t3"))
}

func testListSubscriptions(h *harness) {
	// Created out of order.
	for _, s := range []struct{ id, tenant string }{{"s-05", "a"}, {"s-01", "b"}, {"s-03", "a"}, {"s-02", "a"}, {"s-04", "b"}} {
		h.create(sub(s.id, s.tenant))
	}
	for _, tt := range []struct {
		f    store.SubscriptionFilter
		want []string
	}{
		{store.SubscriptionFilter{}, []string{"s-01", "s-02", "s-03", "s-04", "s-05"}},
		{store.SubscriptionFilter{Tenant: "a"}, []string{"s-02", "s-03", "s-05"}},
		{store.SubscriptionFilter{Tenant: "b"}, []string{"s-01", "s-04"}},
		{store.SubscriptionFilter{Tenant: "c"}, nil},
		{store.SubscriptionFilter{Limit: 2}, []string{"s-01", "s-02"}},
		{store.SubscriptionFilter{After: "s-02", Limit: 2}, []string{"s-03", "s-04"}},
		{store.SubscriptionFilter{After: "s-04", Limit: 2}, []string{"s-05"}},
		{store.SubscriptionFilter{After: "s-05"}, nil},
		{store.SubscriptionFilter{After: "s-025"}, []string{"s-03", "s-04", "s-05"}},
		{store.SubscriptionFilter{Tenant: "a", After: "s-02", Limit: 1}, []string{"s-03"}},
	} {
		got, err := h.s.ListSubscriptions(h.ctx, tt.f)
		if err != nil {
			h.t.Fatalf("ListSubscriptions(%+v): %v", tt.f, err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
			if diff := sameSub(s, sub(s.ID, s.Tenant)); diff != "" {
				h.t.Errorf("ListSubscriptions: %s: %s", s.ID, diff)
			}
		}
		if !slices.Equal(ids, tt.want) {
			h.t.Errorf("ListSubscriptions(%+v) = %q, want %q", tt.f, ids, tt.want)
		}
	}
}
