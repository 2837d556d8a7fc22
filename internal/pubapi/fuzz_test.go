package pubapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzEvents posts arbitrary bodies to /v1/events: the answer is 202 with
// JSON, or a well-formed 4xx problem document; never a 500.
func FuzzEvents(f *testing.F) {
	e := newEnv(f, envOptions{maxBody: 64 << 10})
	for _, seed := range []string{
		mustJSON(event("acme", "1")),
		mustJSON(map[string]any{"events": []any{event("acme", "1"), event("acme", "2")}}),
		`{"events":[{"tenant":"a","entity_type":"b","entity_id":"c","type":"d","occurred_at":"2026-01-01T00:00:00Z","idempotency_key":"k"}]}`,
		`{"tenant":"a","entity_type":"b","entity_id":"c","type":"d","occurred_at":"2026-01-01T00:00:00+02:00","data":[1,"\u0000",null]}`,
		`{"tenant":"\u0000","entity_type":"\ud800","entity_id":"c","type":"d","occurred_at":"0001-01-01T00:00:01Z","id":7,"sequence":"x"}`,
		`{"events":null}`, `{"events":{}}`, `[]`, `null`, `{}`, ``, `{"data":}`, `{"occurred_at":"9999-12-31T23:59:59.999999999Z"}`,
	} {
		f.Add(seed, "")
	}
	f.Add(mustJSON(event("acme", "1")), "key")
	f.Fuzz(func(t *testing.T, body, key string) {
		var hdr []string
		if key != "" && validHeader(key) {
			hdr = []string{"Idempotency-Key", key}
		}
		r := e.with(t).do("POST", "/v1/events", body, hdr...)
		if r.status == http.StatusAccepted {
			if !json.Valid(r.body) {
				t.Fatalf("202 with %q", r.body)
			}
			return
		}
		p, err := parseProblem(r)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status < 400 || p.Status >= 500 {
			t.Fatalf("status %d for %q: %s\nlogs: %s", p.Status, body, r.body, e.logs.String())
		}
	})
}

// validHeader reports whether net/http can send v as a header value.
func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
