package subscription

import (
	"encoding/json"
	"testing"

	"github.com/herald-dev/herald/publisher"
)

// FuzzMatches feeds random data and filters to Matches. It must not
// panic, must agree with Match, must give the same answer before and after
// Validate, and "exists" true and false must split every event in two.
func FuzzMatches(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,2]}}`), "a.b[1]", "2")
	f.Add([]byte(`{"a":{"b":[1,2]}}`), "/a/b/0", "1")
	f.Add([]byte(`[{"x":null}]`), "/0/x", "null")
	f.Add([]byte(`{"n":1e400}`), "n", "1e400")
	f.Add([]byte(`{"":{"~/":true}}`), "//~0~1", "true")
	f.Add([]byte(`"just a string"`), "x[]", "")
	f.Add([]byte(`not json`), "a", "a")
	f.Add([]byte(nil), "[0][]", "")
	f.Fuzz(func(t *testing.T, data []byte, path, equal string) {
		e := &publisher.Event{Tenant: "t", Type: "x", Data: json.RawMessage(data)}
		sub := func(c Condition) *Subscription {
			return &Subscription{Tenant: "t", Active: true, Filter: []Condition{c}}
		}
		yes, no := true, false
		eq := sub(Condition{Path: path, Equals: []string{equal}})
		in := sub(Condition{Path: path, Exists: &yes})
		out := sub(Condition{Path: path, Exists: &no})

		before := []bool{eq.Matches(e), in.Matches(e), out.Matches(e)}
		for _, s := range []*Subscription{eq, in, out} {
			_ = s.Validate() // destination errors do not stop the filter's compilation
		}
		after := []bool{eq.Matches(e), in.Matches(e), out.Matches(e)}
		for i := range before {
			if before[i] != after[i] {
				t.Fatalf("subscription %d: Matches = %v before Validate, %v after", i, before[i], after[i])
			}
		}
		matched := Match([]*Subscription{eq, in, out}, e)
		want := 0
		for _, m := range after {
			if m {
				want++
			}
		}
		if len(matched) != want {
			t.Fatalf("Match returned %d subscriptions, Matches says %d", len(matched), want)
		}
		if in.paths == nil {
			// The path does not parse: nothing matches.
			if want != 0 {
				t.Fatalf("a filter with bad path %q matched", path)
			}
			return
		}
		if after[1] == after[2] {
			t.Fatalf("exists true = %v and exists false = %v for path %q", after[1], after[2], path)
		}
		if after[0] && !after[1] {
			t.Fatalf("equals matched where the path selects nothing")
		}
	})
}
