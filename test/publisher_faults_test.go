package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/metrics"
)

// cloudEventIDs returns the distinct CloudEvents ids among bodies.
func cloudEventIDs(t *testing.T, bodies [][]byte) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, b := range bodies {
		var ce struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &ce); err != nil || ce.ID == "" {
			t.Fatalf("notification %s is not a CloudEvent: %v", b, err)
		}
		ids[ce.ID]++
	}
	return ids
}

func batchOfEvents(tenant string, from, n int) []map[string]any {
	evs := make([]map[string]any, n)
	for i := range evs {
		evs[i] = map[string]any{"tenant": tenant, "entity_type": "photo", "entity_id": fmt.Sprint(from + i),
			"type": "photo.status_changed", "status": "APPROVED", "occurred_at": time.Now().UTC()}
	}
	return evs
}

// The relay is killed with SIGKILL while it delivers, twice; after the
// restarts every accepted event reaches the endpoint (at least once) and
// every delivery is recorded as delivered.
func TestPublisherKill9LosesNothing(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	h := newHook(t)
	h.set(false, 5*time.Millisecond)
	sub := createSubscription(t, s, map[string]any{
		"tenant": "acme", "destination": map[string]any{"type": "https", "url": h.URL + "/hook"},
	})
	const total = 600
	var accepted []pubEvent
	for i := 0; i < total; i += 200 {
		accepted = append(accepted, publishEvents(t, s, batchOfEvents("acme", i, 200)...)...)
	}
	for kill := 1; kill <= 2; kill++ {
		waitFor(t, 20*time.Second, "deliveries to be under way", func() bool { return len(h.accepted()) >= kill*total/4 })
		s.restart(t)
	}
	waitFor(t, 60*time.Second, "every event to arrive", func() bool { return len(cloudEventIDs(t, h.accepted())) == total })
	got := cloudEventIDs(t, h.accepted())
	for _, ev := range accepted {
		if got[ev.ID] == 0 {
			t.Errorf("event %s was accepted but never delivered", ev.ID)
		}
	}
	waitFor(t, 20*time.Second, "every delivery to be recorded as delivered", func() bool {
		return len(deliveriesOf(t, s, sub, "delivered")) == total
	})
	dups := len(h.accepted()) - total
	t.Logf("%d events, %d notifications (%d repeated after the kills)", total, len(h.accepted()), dups)
}

// Two publisher instances share one PostgreSQL store: they split the work
// and never make the same attempt at once, so an endpoint that always
// succeeds sees every delivery exactly once.
func TestPublisherTwoRelaysOnPostgres(t *testing.T) {
	t.Parallel()
	url := postgresURL(t)
	a := startServer(t, "--publisher-store", url)
	b := startServer(t, "--publisher-store", url)
	h := newHook(t)
	h.set(false, 2*time.Millisecond)
	sub := createSubscription(t, a, map[string]any{
		"tenant": "acme", "destination": map[string]any{"type": "https", "url": h.URL + "/hook"},
	})
	// b learns of the subscription from the shared store.
	api(t, b, "GET", "/v1/subscriptions/"+sub, nil, nil, http.StatusOK)
	time.Sleep(2500 * time.Millisecond) // b's subscription cache refresh
	const total = 1000
	for i := 0; i < total; i += 250 {
		s := a
		if i/250%2 == 1 {
			s = b
		}
		publishEvents(t, s, batchOfEvents("acme", i, 250)...)
	}
	waitFor(t, 60*time.Second, "every event to arrive", func() bool { return len(h.accepted()) >= total })
	time.Sleep(500 * time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.overlap != 0 {
		t.Errorf("%d requests found the same delivery already in flight", h.overlap)
	}
	for id, n := range h.ids {
		if n != 1 {
			t.Errorf("delivery %s arrived %d times", id, n)
		}
	}
	if len(h.ids) != total {
		t.Errorf("%d distinct deliveries arrived, want %d", len(h.ids), total)
	}
	var ma, mb float64
	ma = metricValue(t, a, `herald_publisher_attempts_total{destination="https",outcome="delivered"}`)
	mb = metricValue(t, b, `herald_publisher_attempts_total{destination="https",outcome="delivered"}`)
	if ma+mb != total || ma == 0 || mb == 0 {
		t.Errorf("instance a delivered %v, b %v: want both to share %d", ma, mb, total)
	}
}

// metricValue scrapes one sample of s's /metrics (0 when absent).
func metricValue(t *testing.T, s *server, sample string) float64 {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	v, _, err := metrics.Sample(resp.Body, sample)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// herald bench's publisher scenarios run against herald serve and report
// every accepted event delivered.
func TestBenchPublisherScenarios(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cmd := exec.CommandContext(ctxT(t), heraldBin, "bench", "--endpoint", s.URL, "--scenario", "publisher",
		"--duration", "1s", "--concurrency", "2", "--rate", "200", "--json")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("herald bench: %v\n%s", err, out)
	}
	i := strings.Index(string(out), "{")
	if i < 0 {
		t.Fatalf("no JSON in the output:\n%s", out)
	}
	var rep struct {
		Results []struct {
			Scenario   string
			Messages   int64
			Deliveries int64
			Errors     int64
		}
	}
	if err := json.Unmarshal(out[i:], &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Results) != 2 {
		t.Fatalf("results %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if r.Messages == 0 || r.Deliveries != r.Messages || r.Errors != 0 {
			t.Errorf("%s: %d events accepted, %d delivered, %d errors", r.Scenario, r.Messages, r.Deliveries, r.Errors)
		}
	}
}
