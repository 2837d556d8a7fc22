package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/herald-dev/herald/publisher/store/postgres"
	"github.com/jackc/pgx/v5"
)

// TestConcurrentOpen opens one new schema from many goroutines at once, as
// publishers starting together do: all succeed and each migration is
// applied once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := testURL(t)
	schema := newSchema(t, url)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: schema, MaxConns: 1})
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, versions int
	err = conn.QueryRow(context.Background(), fmt.Sprintf(
		`SELECT count(*), count(DISTINCT version) FROM %s.herald_pub_schema_version`,
		pgx.Identifier{schema}.Sanitize())).Scan(&rows, &versions)
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != versions {
		t.Fatalf("herald_pub_schema_version has %d rows for %d versions", rows, versions)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opts postgres.Options
		ok   bool
	}{
		{postgres.Options{}, true},
		{postgres.Options{Schema: "herald", MaxConns: 4}, true},
		{postgres.Options{MaxConns: -1}, false},
		{postgres.Options{Schema: string(make([]byte, 64))}, false},
	} {
		if err := tt.opts.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: Validate() = %v", tt.opts, err)
		}
	}
}
