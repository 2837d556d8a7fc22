package test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresURL returns a database URL for a fresh schema of its own, or
// skips the test when scripts/test.sh did not start PostgreSQL.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("HERALD_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("HERALD_TEST_POSTGRES_URL is not set; scripts/test.sh starts PostgreSQL (scripts/postgres.sh start)")
	}
	schema := "listen_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if containsQuery(base) {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func containsQuery(u string) bool {
	for _, c := range u {
		if c == '?' {
			return true
		}
	}
	return false
}

// Two listeners share one PostgreSQL store: every message is sent twice
// (two MessageIds, one id), both listeners consume the queue at once, and
// the sink applies each id exactly once.
func TestListenTwoListenersSharePostgres(t *testing.T) {
	t.Parallel()
	pg := postgresURL(t)
	const n = 150
	srv := startServer(t, "--in-memory")
	c := newSQS(srv)
	url := createQueue(t, c, "shared")
	rec := &recordingSink{deliveries: map[string]int{}, bodies: map[string]string{}}
	sink := httptest.NewServer(rec)
	t.Cleanup(sink.Close)
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "listener.yaml"), fmt.Sprintf(`
source:
  sqs: {queue_url: %q, endpoint: %q, wait_time: 1s, concurrency: 3, batch_size: 5}
store: %q
dedupe: {key: [id]}
sinks:
  recorder: {type: http, url: %q}
metrics: 127.0.0.1:0
`, url, srv.URL, pg, sink.URL))
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"id":%d,"status":"APPROVED"}`, i)
		send(t, c, url, body)
		send(t, c, url, body)
	}
	a := startListener(t, "--config", cfg)
	b := startListener(t, "--config", cfg)
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, i, _ := approx(t, c, url)
		if v == 0 && i == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %d visible, %d in flight", v, i)
		}
		time.Sleep(50 * time.Millisecond)
	}
	distinct, total := rec.counts()
	if distinct != n || total != n {
		t.Errorf("sink saw %d ids in %d deliveries, want %d once each", distinct, total, n)
	}
	dups := a.metric(t, `herald_listen_events_total{outcome="duplicate"}`) + b.metric(t, `herald_listen_events_total{outcome="duplicate"}`)
	if dups != n {
		t.Errorf("duplicates across both listeners = %v, want %d", dups, n)
	}
	if a.metric(t, `herald_listen_messages_total`) == 0 || b.metric(t, `herald_listen_messages_total`) == 0 {
		t.Log("one listener did all the work (allowed, but the test then shows less)")
	}
}
