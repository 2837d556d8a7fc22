package relay_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
)

// postgresApp returns a URL to a fresh schema of the test PostgreSQL (the
// application's database), or skips.
func postgresApp(t *testing.T) string {
	t.Helper()
	base := os.Getenv("HERALD_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("HERALD_TEST_POSTGRES_URL is not set; scripts/test.sh starts PostgreSQL")
	}
	schema := "app_" + strings.ToLower(rand.Text()[:10])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			_ = c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// The outbox in the application's PostgreSQL database, written with pgx in
// the application's transactions and drained by two relays at once: the
// committed events are stored once each, the rolled-back one never.
func TestOutboxPostgresTwoDrainers(t *testing.T) {
	url := postgresApp(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema, _ := publisher.OutboxSchema(publisher.Postgres)
	if _, err := conn.Exec(ctx, schema); err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		q, args, err := publisher.OutboxInsert(publisher.Postgres, event("acme", "e"+itoa(int64(i%30)), "S"+itoa(int64(i))), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
		if i == 7 {
			_ = tx.Rollback(ctx)
			continue
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}

	e := newEnv(t, nil)
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	for range 2 {
		go func() {
			_ = e.relay.DrainOutbox(dctx, relay.Outbox{Dialect: publisher.Postgres, Batch: 40, Poll: 10 * time.Millisecond,
				Pgx: func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, url) }})
			done <- struct{}{}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var left int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+publisher.OutboxTable).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox rows left", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	<-done
	evs, err := e.store.ListEvents(ctx, store.EventFilter{Tenant: "acme", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n-1 {
		t.Fatalf("%d events stored, want %d (each committed row once, the rolled-back one never)", len(evs), n-1)
	}
	for _, ev := range evs {
		if ev.Status == "S7" {
			t.Errorf("the rolled-back event was published")
		}
	}
}
