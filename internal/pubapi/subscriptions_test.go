package pubapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

type sub struct {
	ID          string   `json:"id"`
	Tenant      string   `json:"tenant"`
	EventTypes  []string `json:"event_types"`
	Active      bool     `json:"active"`
	Destination struct {
		Type    string   `json:"type"`
		URL     string   `json:"url"`
		Secrets []string `json:"secrets"`
	} `json:"destination"`
	CreatedAt string `json:"created_at"`
}

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})

	// Create: 201, Location, generated id and secret, active by default.
	r := e.do("POST", "/v1/subscriptions", `{"tenant":"acme","event_types":["photo.*"],
		"destination":{"type":"https","url":"https://hooks.example/herald"}, "id":"ignored"}`)
	var s sub
	r.json(t, http.StatusCreated, &s)
	if s.ID == "" || s.ID == "ignored" || !s.Active || len(s.Destination.Secrets) != 1 || !strings.HasPrefix(s.Destination.Secrets[0], "whsec_") {
		t.Fatalf("created %+v", s)
	}
	if loc := r.header.Get("Location"); loc != "/v1/subscriptions/"+s.ID {
		t.Errorf("Location %q", loc)
	}

	var got sub
	e.do("GET", "/v1/subscriptions/"+s.ID, nil).json(t, http.StatusOK, &got)
	if got.ID != s.ID || got.Destination.Secrets[0] != s.Destination.Secrets[0] {
		t.Errorf("GET = %+v, want %+v", got, s)
	}

	// An inactive one of another tenant.
	var other sub
	e.do("POST", "/v1/subscriptions", map[string]any{"tenant": "globex", "active": false,
		"destination": map[string]any{"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:000000000000:t"}}).json(t, http.StatusCreated, &other)
	if other.Active {
		t.Error(`"active": false was not kept`)
	}

	// List, filtered and paginated.
	var list struct {
		Subscriptions []sub `json:"subscriptions"`
		Next          string
	}
	e.do("GET", "/v1/subscriptions?tenant=acme", nil).json(t, http.StatusOK, &list)
	if len(list.Subscriptions) != 1 || list.Subscriptions[0].ID != s.ID || list.Next != "" {
		t.Errorf("list acme = %+v", list)
	}
	e.do("GET", "/v1/subscriptions?limit=1", nil).json(t, http.StatusOK, &list)
	first := list.Subscriptions[0].ID
	if len(list.Subscriptions) != 1 || list.Next != first {
		t.Fatalf("page 1 = %+v", list)
	}
	e.do("GET", "/v1/subscriptions?limit=1&after="+list.Next, nil).json(t, http.StatusOK, &list)
	if len(list.Subscriptions) != 1 || list.Subscriptions[0].ID == first || list.Next != "" {
		t.Fatalf("page 2 = %+v", list)
	}
	e.do("GET", "/v1/subscriptions?tenant=nobody", nil).json(t, http.StatusOK, &list)
	if list.Subscriptions == nil || len(list.Subscriptions) != 0 {
		t.Errorf("empty list = %+v", list)
	}

	// PUT replaces; a missing "active" means true.
	var upd sub
	e.do("PUT", "/v1/subscriptions/"+other.ID, map[string]any{"tenant": "globex", "event_types": []string{"x"},
		"destination": map[string]any{"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:000000000000:t"}}).json(t, http.StatusOK, &upd)
	if !upd.Active || upd.ID != other.ID || !slices.Equal(upd.EventTypes, []string{"x"}) || upd.CreatedAt != other.CreatedAt {
		t.Errorf("PUT = %+v", upd)
	}
	e.do("PUT", "/v1/subscriptions/nope", map[string]any{"tenant": "globex",
		"destination": map[string]any{"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:000000000000:t"}}).problem(t, http.StatusNotFound)
	p := e.do("PUT", "/v1/subscriptions/"+other.ID, `{"tenant":""}`).problem(t, http.StatusBadRequest)
	if len(p.Errors) < 2 {
		t.Errorf("errors %q, want the tenant and the destination", p.Errors)
	}

	// DELETE: 204, then 404.
	if r := e.do("DELETE", "/v1/subscriptions/"+other.ID, nil); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("DELETE = %d %s", r.status, r.body)
	}
	p = e.do("GET", "/v1/subscriptions/"+other.ID, nil).problem(t, http.StatusNotFound)
	if !strings.Contains(p.Detail, other.ID) || p.Type != "https://herald.dev/problems/not-found" {
		t.Errorf("404 problem %+v", p)
	}
	e.do("DELETE", "/v1/subscriptions/"+other.ID, nil).problem(t, http.StatusNotFound)
}

func TestSubscriptionValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	p := e.do("POST", "/v1/subscriptions", `{"event_types":["a*b"],"destination":{"type":"sqs","url":"ftp://x"}}`).problem(t, http.StatusBadRequest)
	if p.Type != "https://herald.dev/problems/invalid-request" || len(p.Errors) != 3 {
		t.Fatalf("problem %+v", p)
	}
	for _, want := range []string{"tenant is required", "event_types[0]", "destination: url"} {
		if !slices.ContainsFunc(p.Errors, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("errors %q lack %q", p.Errors, want)
		}
	}
	if !strings.HasPrefix(p.Errors[0], "subscription: ") || strings.Contains(p.Detail, "invalid input") {
		t.Errorf("errors %q, detail %q", p.Errors, p.Detail)
	}
}
