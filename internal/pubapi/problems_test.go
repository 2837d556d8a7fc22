package pubapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{maxBody: 4096})
	var s sub
	e.do("POST", "/v1/subscriptions", `{"tenant":"acme","destination":{"type":"sns","topic_arn":"arn:aws:sns:us-east-1:000000000000:t"}}`).json(t, http.StatusCreated, &s)
	big := `{"tenant":"` + strings.Repeat("x", 5000) + `"}`
	for _, tc := range []struct {
		name, method, path, body, ctype string
		status                          int
		typ, detail                     string
	}{
		{"malformed", "POST", "/v1/subscriptions", "{\n  \"tenant\": ,\n}", "application/json", 400, "malformed-json", "line 2, column 13"},
		{"truncated", "POST", "/v1/events", `{"tenant":"a"`, "application/json", 400, "malformed-json", "ends before"},
		{"trailing", "POST", "/v1/events", `{} {}`, "application/json", 400, "malformed-json", "after the JSON value"},
		{"wrong type", "POST", "/v1/subscriptions", `{"tenant":5}`, "application/json", 400, "malformed-json", "tenant: a JSON number cannot be a string"},
		{"nested type", "POST", "/v1/subscriptions", `{"destination":{"brokers":"a"}}`, "application/json", 400, "malformed-json", "destination.brokers"},
		{"bad time", "POST", "/v1/events", `{"occurred_at":"yesterday"}`, "application/json", 400, "malformed-json", "yesterday"},
		{"array body", "POST", "/v1/events", `[]`, "application/json", 400, "malformed-json", "array"},
		{"unknown field", "POST", "/v1/subscriptions", `{"tenant":"a","colour":"red"}`, "application/json", 400, "unknown-field", `"colour"`},
		{"unknown event field", "POST", "/v1/events", `{"events":[{"tenant":"a","x":1}]}`, "application/json", 400, "unknown-field", `"x"`},
		{"empty body", "POST", "/v1/subscriptions", ``, "application/json", 400, "invalid-request", "body is required"},
		{"text/plain", "POST", "/v1/events", `{}`, "text/plain", 415, "unsupported-media-type", "text/plain"},
		{"no content type", "POST", "/v1/events", `{}`, "", 415, "unsupported-media-type", "application/json"},
		{"too large", "POST", "/v1/subscriptions", big, "application/json", 413, "body-too-large", "4096"},
		{"not found", "GET", "/v1/subscriptions/nope", ``, "", 404, "not-found", "subscription nope not found"},
		{"no route", "GET", "/v1/nothing", ``, "", 404, "not-found", "no such resource"},
		{"bad limit", "GET", "/v1/subscriptions?limit=0", ``, "", 400, "invalid-request", "limit"},
		{"limit over max", "GET", "/v1/events?limit=1001", ``, "", 400, "invalid-request", "1 to 1000"},
		{"bad from", "GET", "/v1/events?from=monday", ``, "", 400, "invalid-request", "RFC 3339"},
		{"from after to", "GET", "/v1/events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", ``, "", 400, "invalid-request", "before"},
		{"bad state", "GET", "/v1/deliveries?state=lost", ``, "", 400, "invalid-request", "pending"},
		{"replay neither", "POST", "/v1/subscriptions/" + s.ID + "/replay", `{}`, "application/json", 400, "invalid-request", "event_ids"},
		{"replay both", "POST", "/v1/subscriptions/" + s.ID + "/replay", `{"event_ids":["x"],"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}`, "application/json", 400, "invalid-request", "not both"},
		{"replay half range", "POST", "/v1/subscriptions/" + s.ID + "/replay", `{"from":"2026-01-01T00:00:00Z"}`, "application/json", 400, "invalid-request", "both from and to"},
		{"replay unknown sub", "POST", "/v1/subscriptions/nope/replay", `{"event_ids":["x"]}`, "application/json", 404, "not-found", "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := map[string]string{}
			if tc.ctype != "" {
				req["Content-Type"] = tc.ctype
			}
			r := rawRequest(t, e, tc.method, tc.path, tc.body, req)
			p := r.problem(t, tc.status)
			if p.Type != "https://herald.dev/problems/"+tc.typ {
				t.Errorf("type %q, want %s", p.Type, tc.typ)
			}
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", p.Detail, tc.detail)
			}
			if p.Instance != strings.Split(tc.path, "?")[0] {
				t.Errorf("instance %q", p.Instance)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for path, allow := range map[string]string{
		"/v1/subscriptions":              "GET, HEAD, POST",
		"/v1/subscriptions/x":            "DELETE, GET, HEAD, PUT",
		"/v1/subscriptions/x/test":       "POST",
		"/v1/events":                     "GET, HEAD, POST",
		"/v1/events/x/deliveries":        "GET, HEAD",
		"/v1/deliveries/x/replay":        "POST",
		"/v1/subscriptions/x/replay":     "POST",
		"/v1/deliveries/x":               "GET, HEAD",
		"/v1/subscriptions/x/deliveries": "GET, HEAD",
	} {
		r := e.do("PATCH", path, `{}`)
		p := r.problem(t, http.StatusMethodNotAllowed)
		if got := r.header.Get("Allow"); got != allow {
			t.Errorf("PATCH %s: Allow %q, want %q", path, got, allow)
		}
		if p.Type != "about:blank" || !strings.Contains(p.Detail, "PATCH") {
			t.Errorf("PATCH %s: %+v", path, p)
		}
	}
}

func TestContentTypeParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	r := rawRequest(t, e, "POST", "/v1/events", mustJSON(event("acme", "1")), map[string]string{"Content-Type": "application/json; charset=utf-8"})
	r.json(t, http.StatusAccepted, nil)
}
