// Package storetest is the conformance suite of store.Store: every
// implementation runs it from its own tests, against a real database.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "p.db"), sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Every subtest gets a new, empty store from open and runs in parallel with
// the others; the suite closes each store it opened (once) when the subtest
// ends, so open may register its own cleanup (dropping a schema, say) to run
// after that. The subtest Closed runs last, alone: it closes its store and
// requires every method to fail with an error wrapping store.ErrClosed.
//
// Beyond the doc comments of store.Store, the suite requires:
//
//   - An Append whose NewEvent has not as many DeliveryIDs as Subscriptions,
//     or reuses a stored event or delivery id, fails, storing nothing.
//   - Append sets Sequence on the events it is given (not on duplicates).
//   - Within one Append, an event whose key an earlier event of the same
//     call used is a duplicate of that event.
//   - Claim orders deliveries due at the same time by id; a limit of 0
//     claims nothing.
//   - Finish applies a result while owner still holds the lease, even when
//     it expired, as long as no other owner claimed the delivery since. A
//     Released result records no Attempt and leaves LastError as it was.
//     Finish releases the lease whatever the outcome, so a second result for
//     the same delivery in one call is skipped. An unknown Outcome is an
//     error.
//   - Enqueue stores nothing when it returns ErrNotFound.
//   - Replayed deliveries carry their event's sequence, so per-entity order
//     holds for them too (by delivery id among equal sequences).
//
// Times the suite hands the store (OccurredAt, NextAttemptAt, Claim's now,
// StartedAt) are whole microseconds and durations whole milliseconds, so a
// store with microsecond precision returns them exactly. Claim's now is ten
// minutes ahead of the suite's clock (leases are relative to it), so that
// deliveries stamped by a database server's clock are due. Event data is
// compared as JSON values, not bytes.
//
// Bench is the shared body of every implementation's benchmarks, so that
// their figures compare.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
)

// Run runs the conformance suite against stores made by open, which must
// return a new, empty store each time it is called.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(h *harness)
	}{
		{"SubscriptionRoundTrip", testSubscriptionRoundTrip},
		{"SubscriptionErrors", testSubscriptionErrors},
		{"SubscriptionUpdateDelete", testSubscriptionUpdateDelete},
		{"ListSubscriptions", testListSubscriptions},
		{"AppendSequences", testAppendSequences},
		{"AppendDeliveries", testAppendDeliveries},
		{"AppendIdempotency", testAppendIdempotency},
		{"AppendAtomic", testAppendAtomic},
		{"ConcurrentAppend", testConcurrentAppend},
		{"EventRoundTrip", testEventRoundTrip},
		{"ListEvents", testListEvents},
		{"ClaimDue", testClaimDue},
		{"ClaimLimitAndOrder", testClaimLimitAndOrder},
		{"ClaimEntityOrder", testClaimEntityOrder},
		{"ClaimLease", testClaimLease},
		{"ClaimConcurrent", testClaimConcurrent},
		{"FinishDelivered", testFinishDelivered},
		{"FinishRetry", testFinishRetry},
		{"FinishDead", testFinishDead},
		{"FinishReleased", testFinishReleased},
		{"FinishSkipped", testFinishSkipped},
		{"Attempts", testAttempts},
		{"Enqueue", testEnqueue},
		{"EnqueueOrder", testEnqueueOrder},
		{"ListDeliveries", testListDeliveries},
		{"Stats", testStats},
		{"DeletedSubscription", testDeletedSubscription},
	}
	t.Run("group", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.run(newHarness(t, open))
			})
		}
	})
	// After every other subtest: it closes its store on purpose.
	t.Run("Closed", func(t *testing.T) { testClosed(t, open) })
}

type harness struct {
	t   *testing.T
	ctx context.Context
	s   store.Store
	// base is ten minutes ahead of the suite's clock when the subtest
	// started, in whole microseconds: Claim's "now" for deliveries just
	// appended.
	base time.Time
	evt  atomic.Int64 // event id counter
	dlv  atomic.Int64 // delivery id counter
}

func newHarness(t *testing.T, open func(t *testing.T) store.Store) *harness {
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &harness{t: t, ctx: t.Context(), s: s, base: now()}
}

// now is ten minutes ahead of the suite's clock, in whole microseconds:
// every delivery appended during a subtest is due at the base of it.
func now() time.Time {
	return time.Now().Add(10 * time.Minute).Truncate(time.Microsecond)
}

// eventID and deliveryID return new ids that sort in creation order.
func (h *harness) eventID() string    { return fmt.Sprintf("evt-%08d", h.evt.Add(1)) }
func (h *harness) deliveryID() string { return fmt.Sprintf("dlv-%08d", h.dlv.Add(1)) }

// event returns a new event of the entity, with a new id.
func (h *harness) event(tenant, entityType, entityID string) *publisher.Event {
	return &publisher.Event{
		ID:         h.eventID(),
		Tenant:     tenant,
		EntityType: entityType,
		EntityID:   entityID,
		Type:       entityType + ".status_changed",
		Status:     "DONE",
		OccurredAt: time.Date(2025, 3, 14, 15, 9, 26, 535_897_000, time.UTC),
		Data:       []byte(`{"id":"` + entityID + `","n":1}`),
	}
}

// newEvent returns a NewEvent of a new event going to the subscriptions,
// with new delivery ids.
func (h *harness) newEvent(tenant, entityType, entityID string, subs ...string) store.NewEvent {
	ne := store.NewEvent{Event: h.event(tenant, entityType, entityID), Subscriptions: subs}
	for range subs {
		ne.DeliveryIDs = append(ne.DeliveryIDs, h.deliveryID())
	}
	return ne
}

func (h *harness) append(events ...store.NewEvent) []store.Appended {
	h.t.Helper()
	got, err := h.s.Append(h.ctx, events)
	if err != nil {
		h.t.Fatalf("Append: %v", err)
	}
	if len(got) != len(events) {
		h.t.Fatalf("Append of %d events returned %d results", len(events), len(got))
	}
	return got
}

// deliver appends one event of the entity to sub and returns its delivery id.
func (h *harness) deliver(sub, entityID string) string {
	h.t.Helper()
	ne := h.newEvent("t1", "photo", entityID, sub)
	h.append(ne)
	return ne.DeliveryIDs[0]
}

func (h *harness) claim(owner string, lease time.Duration, limit int, at time.Time) []*store.Delivery {
	h.t.Helper()
	got, err := h.s.Claim(h.ctx, owner, lease, limit, at)
	if err != nil {
		h.t.Fatalf("Claim(%s, %v, %d, %v): %v", owner, lease, limit, at, err)
	}
	return got
}

// wantClaim claims and checks the ids claimed, in order.
func (h *harness) wantClaim(owner string, lease time.Duration, limit int, at time.Time, want ...string) []*store.Delivery {
	h.t.Helper()
	got := h.claim(owner, lease, limit, at)
	if ids := deliveryIDs(got); !slices.Equal(ids, want) {
		h.t.Fatalf("Claim(%s, limit %d, now %v) = %q, want %q", owner, limit, at.Sub(h.base), ids, want)
	}
	return got
}

func (h *harness) finish(owner string, want int, results ...store.Result) {
	h.t.Helper()
	n, err := h.s.Finish(h.ctx, owner, results)
	if err != nil {
		h.t.Fatalf("Finish(%s): %v", owner, err)
	}
	if n != want {
		h.t.Fatalf("Finish(%s, %d results) applied %d, want %d", owner, len(results), n, want)
	}
}

func (h *harness) delivery(id string) *store.Delivery {
	h.t.Helper()
	d, err := h.s.GetDelivery(h.ctx, id)
	if err != nil {
		h.t.Fatalf("GetDelivery(%s): %v", id, err)
	}
	return d
}

func (h *harness) attempts(id string) []store.Attempt {
	h.t.Helper()
	a, err := h.s.Attempts(h.ctx, id)
	if err != nil {
		h.t.Fatalf("Attempts(%s): %v", id, err)
	}
	return a
}

func (h *harness) listDeliveries(f store.DeliveryFilter) []string {
	h.t.Helper()
	ds, err := h.s.ListDeliveries(h.ctx, f)
	if err != nil {
		h.t.Fatalf("ListDeliveries(%+v): %v", f, err)
	}
	for _, d := range ds {
		if d.Event != nil {
			h.t.Errorf("ListDeliveries: delivery %s has its Event filled in", d.ID)
		}
	}
	return deliveryIDs(ds)
}

func (h *harness) wantErr(what string, err, target error) {
	h.t.Helper()
	if !errors.Is(err, target) {
		h.t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func deliveryIDs(ds []*store.Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func result(id string, o store.Outcome, next time.Time, errText string) store.Result {
	return store.Result{
		DeliveryID:    id,
		Outcome:       o,
		NextAttemptAt: next,
		Error:         errText,
		StartedAt:     time.Date(2025, 6, 1, 12, 0, 0, 123_456_000, time.UTC),
		Duration:      250 * time.Millisecond,
		Detail:        "HTTP 200",
	}
}

const (
	minute = time.Minute
	hour   = time.Hour
)
