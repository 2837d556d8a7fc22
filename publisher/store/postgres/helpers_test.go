package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/postgres"
	"github.com/herald-dev/herald/publisher/subscription"
	"github.com/jackc/pgx/v5"
)

const urlEnv = "HERALD_TEST_POSTGRES_URL"

// testURL returns the test server's URL, or skips the test.
func testURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(urlEnv)
	if url == "" {
		t.Skipf("%s is not set; run with a throwaway PostgreSQL: export %s=$(scripts/postgres.sh start)", urlEnv, urlEnv)
	}
	return url
}

// newSchema returns the name of a new schema for the test alone, dropped
// when the test ends; Open creates it.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	schema := "pubtest_" + rand.Text()[:12]
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openStore opens a Store on schema, closed when the test ends.
func openStore(t testing.TB, url, schema string, conns int) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: schema, MaxConns: conns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// instances opens n Stores on one new schema, as n publisher processes
// sharing a database would.
func instances(t testing.TB, n, conns int) []*postgres.Store {
	t.Helper()
	url := testURL(t)
	schema := newSchema(t, url)
	out := make([]*postgres.Store, n)
	for i := range out {
		out[i] = openStore(t, url, schema, conns)
	}
	return out
}

var idCounter atomic.Int64

// newID returns an id that sorts after every earlier one.
func newID(prefix string) string {
	return fmt.Sprintf("%s-%010d", prefix, idCounter.Add(1))
}

// newEvent returns a NewEvent of the entity going to subs.
func newEvent(tenant, entity string, subs ...string) store.NewEvent {
	ne := store.NewEvent{
		Event: &publisher.Event{
			ID: newID("evt"), Tenant: tenant, EntityType: "photo", EntityID: entity,
			Type: "photo.status_changed", Status: "DOWNLOADED",
			OccurredAt: time.Now().Truncate(time.Microsecond),
			Data:       []byte(`{"id":1}`),
		},
		Subscriptions: subs,
	}
	for range subs {
		ne.DeliveryIDs = append(ne.DeliveryIDs, newID("dlv"))
	}
	return ne
}

func createSub(t testing.TB, s store.Store, id, tenant string) {
	t.Helper()
	err := s.CreateSubscription(context.Background(), &subscription.Subscription{
		ID: id, Tenant: tenant, Active: true,
		Destination: subscription.Destination{Type: subscription.DestinationHTTPS, URL: "https://example.com/hook"},
	})
	if err != nil {
		t.Fatal(err)
	}
}
