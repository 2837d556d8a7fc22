package pubapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

type publishedEvent struct {
	ID         string          `json:"id"`
	Tenant     string          `json:"tenant"`
	EntityID   string          `json:"entity_id"`
	Sequence   int64           `json:"sequence"`
	OccurredAt string          `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	Duplicate  *bool           `json:"duplicate"`
}

func TestPublishOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ev := event("acme", "1419977")
	ev["id"], ev["sequence"] = "client-id", 99
	var a publishedEvent
	e.do("POST", "/v1/events", ev).json(t, http.StatusAccepted, &a)
	if a.ID == "" || a.ID == "client-id" || a.Sequence != 1 || a.Duplicate == nil || *a.Duplicate ||
		a.Tenant != "acme" || string(a.Data) != `{"size":3}` || a.OccurredAt != "2026-03-01T10:00:00Z" {
		t.Fatalf("published %+v", a)
	}
	var b publishedEvent
	e.do("POST", "/v1/events", event("acme", "1419977")).json(t, http.StatusAccepted, &b)
	if b.Sequence != 2 || b.ID == a.ID {
		t.Errorf("second event %+v", b)
	}

	var got publishedEvent
	e.do("GET", "/v1/events/"+a.ID, nil).json(t, http.StatusOK, &got)
	if got.ID != a.ID || got.Sequence != 1 || got.Duplicate != nil {
		t.Errorf("GET = %+v", got)
	}
	e.do("GET", "/v1/events/nope", nil).problem(t, http.StatusNotFound)

	p := e.do("POST", "/v1/events", `{"tenant":"acme"}`).problem(t, http.StatusBadRequest)
	if len(p.Errors) != 4 || p.Errors[0] != "event: entity_type is required" {
		t.Errorf("invalid event: %+v", p)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var a, b, c publishedEvent
	e.do("POST", "/v1/events", event("acme", "1"), "Idempotency-Key", "k1").json(t, http.StatusAccepted, &a)
	e.do("POST", "/v1/events", event("acme", "1"), "Idempotency-Key", "k1").json(t, http.StatusAccepted, &b)
	if *a.Duplicate || !*b.Duplicate || a.ID != b.ID || b.Sequence != 1 {
		t.Fatalf("first %+v, second %+v", a, b)
	}
	// The key may also be in the body, and it is per tenant.
	ev := event("acme", "1")
	ev["idempotency_key"] = "k1"
	e.do("POST", "/v1/events", ev).json(t, http.StatusAccepted, &c)
	if c.ID != a.ID || !*c.Duplicate {
		t.Errorf("body key: %+v", c)
	}
	e.do("POST", "/v1/events", ev, "Idempotency-Key", "k2").problem(t, http.StatusBadRequest)
	e.do("POST", "/v1/events", event("globex", "1"), "Idempotency-Key", "k1").json(t, http.StatusAccepted, &c)
	if c.ID == a.ID || *c.Duplicate {
		t.Errorf("other tenant: %+v", c)
	}

	// In a batch, each event carries its key.
	x, y := event("acme", "2"), event("acme", "3")
	x["idempotency_key"], y["idempotency_key"] = "k1", "k3"
	var out struct{ Events []publishedEvent }
	e.do("POST", "/v1/events", map[string]any{"events": []any{x, y}}).json(t, http.StatusAccepted, &out)
	if len(out.Events) != 2 || out.Events[0].ID != a.ID || !*out.Events[0].Duplicate || *out.Events[1].Duplicate {
		t.Errorf("batch: %+v", out.Events)
	}
	e.do("POST", "/v1/events", map[string]any{"events": []any{y}}).json(t, http.StatusAccepted, &out)
	if !*out.Events[0].Duplicate {
		t.Errorf("batch again: %+v", out.Events)
	}
	p := e.do("POST", "/v1/events", map[string]any{"events": []any{y}}, "Idempotency-Key", "k9").problem(t, http.StatusBadRequest)
	if !strings.Contains(p.Detail, "idempotency_key") {
		t.Errorf("header on a batch: %+v", p)
	}
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var evs []any
	for i := range 5 {
		evs = append(evs, event("acme", fmt.Sprint(i%2)))
	}
	var out struct{ Events []publishedEvent }
	e.do("POST", "/v1/events", map[string]any{"events": evs}).json(t, http.StatusAccepted, &out)
	if len(out.Events) != 5 {
		t.Fatalf("%d events", len(out.Events))
	}
	for i, ev := range out.Events {
		if want := int64(i/2 + 1); ev.Sequence != want || ev.EntityID != fmt.Sprint(i%2) || *ev.Duplicate {
			t.Errorf("events[%d] = %+v, want sequence %d", i, ev, want)
		}
	}

	bad := event("acme", "x")
	delete(bad, "type")
	p := e.do("POST", "/v1/events", map[string]any{"events": []any{evs[0], bad}}).problem(t, http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0] != "events[1]: event: type is required" {
		t.Errorf("bad element: %+v", p)
	}
	p = e.do("POST", "/v1/events", map[string]any{"events": evs, "tenant": "acme"}).problem(t, http.StatusBadRequest)
	if !strings.Contains(p.Detail, `only "events"`) {
		t.Errorf("mixed body: %+v", p)
	}
	e.do("POST", "/v1/events", `{"events":[]}`).problem(t, http.StatusBadRequest)
	many := make([]any, 1001)
	for i := range many {
		many[i] = evs[0]
	}
	p = e.do("POST", "/v1/events", map[string]any{"events": many}).problem(t, http.StatusBadRequest)
	if !strings.Contains(p.Detail, "1001 events") {
		t.Errorf("too many: %+v", p)
	}

	// Listing, filtered and paginated.
	var list struct {
		Events []publishedEvent
		Next   string
	}
	e.do("GET", "/v1/events?tenant=acme&entity_type=photo&entity_id=1", nil).json(t, http.StatusOK, &list)
	if len(list.Events) != 2 || list.Next != "" {
		t.Errorf("entity 1: %+v", list)
	}
	e.do("GET", "/v1/events?tenant=acme&limit=3", nil).json(t, http.StatusOK, &list)
	if len(list.Events) != 3 || list.Next != list.Events[2].ID {
		t.Fatalf("page 1: %+v", list)
	}
	e.do("GET", "/v1/events?tenant=acme&limit=3&after="+list.Next, nil).json(t, http.StatusOK, &list)
	if len(list.Events) != 2 || list.Next != "" {
		t.Errorf("page 2: %+v", list)
	}
	e.do("GET", "/v1/events?tenant=acme&from=2026-03-01T10:00:00Z&to=2026-03-01T10:00:01Z", nil).json(t, http.StatusOK, &list)
	if len(list.Events) != 5 {
		t.Errorf("range: %d events", len(list.Events))
	}
	e.do("GET", "/v1/events?tenant=acme&from=2026-03-01T10:00:01Z", nil).json(t, http.StatusOK, &list)
	if len(list.Events) != 0 || list.Events == nil {
		t.Errorf("empty range: %+v", list)
	}
}
