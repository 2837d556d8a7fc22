package test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// api calls the publisher's API of s and decodes the answer into out (when
// not nil). It returns the HTTP status; a status other than want fails the
// test with the problem document.
func api(t testing.TB, s *server, method, path string, body, out any, want int) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		// Bodies go as written: no HTML escaping of <, > and & in the
		// seeds' documents.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			t.Fatal(err)
		}
		rd = &b
	}
	req, err := http.NewRequestWithContext(ctxT(t), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if want != 0 && resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// pubEvent is an event as the API returns it.
type pubEvent struct {
	ID         string          `json:"id"`
	Tenant     string          `json:"tenant"`
	EntityType string          `json:"entity_type"`
	EntityID   string          `json:"entity_id"`
	Type       string          `json:"type"`
	Status     string          `json:"status"`
	OccurredAt time.Time       `json:"occurred_at"`
	Sequence   int64           `json:"sequence"`
	Data       json.RawMessage `json:"data"`
	Duplicate  bool            `json:"duplicate"`
}

// pubDelivery is a delivery as the API returns it.
type pubDelivery struct {
	ID             string `json:"id"`
	EventID        string `json:"event_id"`
	SubscriptionID string `json:"subscription_id"`
	State          string `json:"state"`
	Attempts       int    `json:"attempt_count"`
	LastError      string `json:"last_error"`
}

func createSubscription(t testing.TB, s *server, sub map[string]any) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	api(t, s, "POST", "/v1/subscriptions", sub, &out, http.StatusCreated)
	if out.ID == "" {
		t.Fatal("created subscription has no id")
	}
	return out.ID
}

func publishEvents(t testing.TB, s *server, evs ...map[string]any) []pubEvent {
	t.Helper()
	var out struct {
		Events []pubEvent `json:"events"`
	}
	api(t, s, "POST", "/v1/events", map[string]any{"events": evs}, &out, http.StatusAccepted)
	if len(out.Events) != len(evs) {
		t.Fatalf("published %d events, got %d back", len(evs), len(out.Events))
	}
	return out.Events
}

func deliveriesOf(t testing.TB, s *server, subID, state string) []pubDelivery {
	t.Helper()
	var out struct {
		Deliveries []pubDelivery `json:"deliveries"`
	}
	path := "/v1/subscriptions/" + subID + "/deliveries?limit=1000"
	if state != "" {
		path += "&state=" + state
	}
	api(t, s, "GET", path, nil, &out, http.StatusOK)
	return out.Deliveries
}

// hook is an HTTPS-subscriber stand-in (plain http on 127.0.0.1, which
// subscriptions allow) that records what it accepts.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	fail     bool
	delay    time.Duration
	bodies   [][]byte
	ids      map[string]int // webhook-id → accepted count
	inFlight map[string]int // webhook-id → requests in progress
	overlap  int            // requests that found their webhook-id in flight
	requests int
}

func newHook(t testing.TB) *hook {
	h := &hook{ids: map[string]int{}, inFlight: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		h.mu.Lock()
		h.requests++
		if h.inFlight[id] > 0 {
			h.overlap++
		}
		h.inFlight[id]++
		fail, delay := h.fail, h.delay
		h.mu.Unlock()
		time.Sleep(delay)
		h.mu.Lock()
		h.inFlight[id]--
		if !fail {
			h.bodies = append(h.bodies, body)
			h.ids[id]++
		}
		h.mu.Unlock()
		if fail {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) set(fail bool, delay time.Duration) {
	h.mu.Lock()
	h.fail, h.delay = fail, delay
	h.mu.Unlock()
}

func (h *hook) accepted() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}
