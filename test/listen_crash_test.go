package test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// recordingSink is an HTTP endpoint that records every delivery it sees and
// applies each Idempotency-Key once, as a careful receiver does.
type recordingSink struct {
	mu         sync.Mutex
	deliveries map[string]int // by Idempotency-Key
	bodies     map[string]string
	total      int
}

func (r *recordingSink) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	key := req.Header.Get("Idempotency-Key")
	time.Sleep(5 * time.Millisecond) // slow enough that kills land mid-batch
	r.mu.Lock()
	r.deliveries[key]++
	r.bodies[key] = string(body)
	r.total++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *recordingSink) counts() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deliveries), r.total
}

// Killing the listener with SIGKILL in the middle of its batches, again and
// again, loses no message, and only the work in flight at each kill may
// reach the sink a second time (with the same Idempotency-Key).
func TestListenKill9MidBatch(t *testing.T) {
	t.Parallel()
	const n, kills, pollers, batch = 400, 3, 4, 10
	srv := startServer(t, "--in-memory")
	c := newSQS(srv)
	url := createQueue(t, c, "crash-ledger", "VisibilityTimeout", "2")
	rec := &recordingSink{deliveries: map[string]int{}, bodies: map[string]string{}}
	sink := httptest.NewServer(rec)
	t.Cleanup(sink.Close)

	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "listener.yaml"), fmt.Sprintf(`
source:
  sqs: {queue_url: %q, endpoint: %q, wait_time: 1s, concurrency: %d, batch_size: %d}
store: sqlite:%s/listen.db
dedupe: {key: [id], lease: 3s}
sinks:
  recorder: {type: http, url: %q, retries: 0}
metrics: 127.0.0.1:0
`, url, srv.URL, pollers, batch, dir, sink.URL))
	for i := 0; i < n; i++ {
		send(t, c, url, fmt.Sprintf(`{"id":%d,"status":"APPROVED"}`, i))
	}

	for k := 0; k < kills; k++ {
		l := startListener(t, "--config", cfg)
		_, before := rec.counts()
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, now := rec.counts()
			if now >= before+40 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: no progress (%d deliveries)", k, now)
			}
			time.Sleep(2 * time.Millisecond)
		}
		l.kill9()
	}
	l := startListener(t, "--config", cfg)
	deadline := time.Now().Add(60 * time.Second)
	for {
		distinct, _ := rec.counts()
		v, i, _ := approx(t, c, url)
		if distinct == n && v == 0 && i == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the kills: %d of %d delivered, queue holds %d visible and %d in flight", distinct, n, v, i)
		}
		time.Sleep(50 * time.Millisecond)
	}
	distinct, total := rec.counts()
	for i := 0; i < n; i++ {
		key := fmt.Sprint(i)
		if rec.deliveries[key] == 0 {
			t.Errorf("message %d lost", i)
		}
		if want := fmt.Sprintf(`{"id":%d,"status":"APPROVED"}`, i); rec.bodies[key] != want {
			t.Errorf("key %s carried %q", key, rec.bodies[key])
		}
	}
	// A second delivery can only be of an event in flight when the process
	// died: at most the events of one batch per poller per kill.
	if extra, bound := total-distinct, kills*pollers*batch; extra > bound {
		t.Errorf("%d deliveries repeated, more than the %d in flight at the kills", extra, bound)
	}
	t.Logf("%d messages, %d kills: %d deliveries, %d repeated (in flight at a kill, same Idempotency-Key)",
		n, kills, total, total-distinct)
	if !l.stop() {
		t.Error("listener did not exit cleanly")
	}
}
