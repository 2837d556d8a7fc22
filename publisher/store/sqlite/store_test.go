package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/sqlite"
	"github.com/herald-dev/herald/publisher/store/storetest"
	"github.com/herald-dev/herald/publisher/subscription"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts sqlite.Options
	}{
		{"default", sqlite.Options{}},
		{"no-group-commit", sqlite.Options{MaxGroup: 1}},
		{"full-sync", sqlite.Options{FullSync: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) store.Store {
				s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "publisher.db"), tt.opts)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// A process that dies holding leases: reopened with ReleaseLeases, its
// deliveries are claimable at once; reopened without, they wait for the
// leases to run out.
func TestReleaseLeasesAtOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "publisher.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub := &subscription.Subscription{ID: "sub-1", Tenant: "acme", Active: true,
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: "http://127.0.0.1:9324/000000000000/q"}}
	if err := s.CreateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	ev := &publisher.Event{ID: "evt-1", Tenant: "acme", EntityType: "photo", EntityID: "1", Type: "t", OccurredAt: time.Now()}
	if _, err := s.Append(ctx, []store.NewEvent{{Event: ev, Subscriptions: []string{"sub-1"}, DeliveryIDs: []string{"dlv-1"}}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if ds, err := s.Claim(ctx, "dead-process", time.Hour, 10, now); err != nil || len(ds) != 1 {
		t.Fatalf("Claim = %v, %v", ds, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for _, release := range []bool{false, true} {
		s, err := sqlite.Open(ctx, path, sqlite.Options{ReleaseLeases: release})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := s.Claim(ctx, "next-process", time.Minute, 10, now.Add(time.Second))
		_ = s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 0, true: 1}[release]; len(ds) != want {
			t.Errorf("ReleaseLeases %v: claimed %d deliveries, want %d", release, len(ds), want)
		}
	}
}
