package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/postgres"
	"github.com/herald-dev/herald/consumer/store/storetest"
	"github.com/jackc/pgx/v5"
)

const urlEnv = "HERALD_TEST_POSTGRES_URL"

// testURL returns the test database's URL, or skips the test.
func testURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(urlEnv)
	if url == "" {
		t.Skipf("%s is not set; run with a throwaway PostgreSQL: "+
			"export %s=$(scripts/postgres.sh start)", urlEnv, urlEnv)
	}
	return url
}

// newSchema returns the name of a schema of the test's own, dropped at
// cleanup; Open creates it.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	schema := "test_" + rand.Text()[:12]
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

func TestConformance(t *testing.T) {
	url := testURL(t)
	storetest.Run(t, func(t *testing.T) storetest.OpenFunc {
		opts := postgres.Options{Schema: newSchema(t, url)}
		return func(ctx context.Context) (consumer.Store, error) {
			return postgres.Open(ctx, url, opts)
		}
	})
}

// TestConcurrentOpen opens one new schema from many goroutines at once, as
// listener processes starting together do: every Open succeeds and the
// schema is migrated once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	opts := postgres.Options{Schema: newSchema(t, url), MaxConns: 2}
	const n = 8
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(t.Context(), url, opts)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	if t.Failed() {
		return
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var versions, rows int
	err = conn.QueryRow(t.Context(), fmt.Sprintf(
		"SELECT count(*), count(DISTINCT version) FROM %s.herald_consumer_migrations",
		pgx.Identifier{opts.Schema}.Sanitize())).Scan(&rows, &versions)
	if err != nil {
		t.Fatal(err)
	}
	if rows != versions || rows == 0 {
		t.Errorf("herald_consumer_migrations has %d rows for %d versions", rows, versions)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts postgres.Options
		ok   bool
	}{
		{"zero", postgres.Options{}, true},
		{"schema", postgres.Options{Schema: "my app", MaxConns: 3}, true},
		{"negative conns", postgres.Options{MaxConns: -1}, false},
		{"long schema", postgres.Options{Schema: string(make([]byte, 64))}, false},
	} {
		if err := tt.opts.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	if _, err := postgres.Open(t.Context(), "postgres://127.0.0.1:1/nothing?connect_timeout=2", postgres.Options{}); err == nil {
		t.Fatal("Open of an unreachable server: no error")
	}
	if _, err := postgres.Open(t.Context(), "::not a url::", postgres.Options{}); err == nil {
		t.Fatal("Open of a malformed URL: no error")
	}
}

// TestReconnect kills the Store's server connections: the next calls
// succeed on new ones.
func TestReconnect(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	app := "herald-reconnect-" + rand.Text()[:8]
	s, err := postgres.Open(t.Context(), url, postgres.Options{Schema: newSchema(t, url), MaxConns: 2, ApplicationName: app})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if _, err := s.Claim(ctx, "A", time.Minute, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var killed int
	if err := admin.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection of the store found to terminate")
	}
	got, err := s.Claim(ctx, "A", time.Minute, []string{"a", "b"})
	if err != nil {
		t.Fatalf("Claim after the connections were terminated: %v", err)
	}
	if want := []consumer.ClaimState{consumer.Claimed, consumer.Claimed}; !slices.Equal(got, want) {
		t.Fatalf("Claim = %v, want %v", got, want)
	}
}

// TestSchema opens a Store in a schema whose name needs quoting: its
// tables are created there, and nowhere else.
func TestSchema(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	schema := newSchema(t, url) + ` Weird-"ü"`
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	ctx := t.Context()
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Complete(ctx, "A", []string{"k"}, []consumer.EntityVersion{{Entity: "e", Version: 7}}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 ORDER BY table_name`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"herald_consumer_claims", "herald_consumer_migrations", "herald_consumer_versions"}
	if !slices.Equal(tables, want) {
		t.Errorf("tables in schema %q = %q, want %q", schema, tables, want)
	}
	var n int
	if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s.herald_consumer_claims", pgx.Identifier{schema}.Sanitize())).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows in %q.herald_consumer_claims = %d, %v; want 1", schema, n, err)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	ctx := t.Context()
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: newSchema(t, url)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	k := []string{"k"}
	for name, err := range map[string]error{
		"Claim":          second(s.Claim(ctx, "A", time.Minute, k)),
		"Claim empty":    second(s.Claim(ctx, "A", time.Minute, nil)),
		"Complete":       s.Complete(ctx, "A", k, nil),
		"Complete empty": s.Complete(ctx, "A", nil, nil),
		"Release":        s.Release(ctx, "A", k),
		"Extend":         s.Extend(ctx, "A", time.Minute, k),
		"Versions":       second(s.Versions(ctx, k)),
		"Purge":          second(s.Purge(ctx, time.Now())),
	} {
		if !errors.Is(err, postgres.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
