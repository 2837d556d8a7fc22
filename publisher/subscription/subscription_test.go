package subscription

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/format"
)

func ptr[T any](v T) *T { return &v }

// valid returns a valid subscription, changed by change.
func valid(change func(*Subscription)) *Subscription {
	s := &Subscription{
		Tenant:      "org-1",
		Destination: Destination{Type: DestinationSQS, URL: "https://sqs.us-east-1.amazonaws.com/123456789012/photos"},
		Active:      true,
	}
	if change != nil {
		change(s)
	}
	return s
}

// ev returns a photo event of tenant org-1, changed by change.
func ev(change func(*publisher.Event)) *publisher.Event {
	e := &publisher.Event{
		ID:         "e1",
		Tenant:     "org-1",
		EntityType: "photo",
		EntityID:   "1419977",
		Type:       "photo.status_changed",
		Status:     "DOWNLOADED",
		OccurredAt: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Sequence:   3,
		Data: json.RawMessage(`{"id":1419977,"price":1.50,"big":12345678901234567890,` +
			`"person":{"organization":{"id":"42","name":"Acme"}},"tags":["a","b"],"gone":null}`),
	}
	if change != nil {
		change(e)
	}
	return e
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := map[string]*Subscription{
		"minimal":        valid(nil),
		"inactive":       valid(func(s *Subscription) { s.Active = false }),
		"every format":   valid(func(s *Subscription) { s.Format = "mturk-event-doc"; s.FormatVersion = "2006-05-05" }),
		"default format": valid(func(s *Subscription) { s.FormatVersion = "1.0" }),
		"patterns": valid(func(s *Subscription) {
			s.EventTypes = []string{"photo.*", "*", "AssignmentSubmitted"}
			s.Statuses = []string{"DONE"}
		}),
		"filters": valid(func(s *Subscription) {
			s.Filter = []Condition{
				{Path: "person.organization.id", Equals: []string{"42"}},
				{Path: "/tags/0", Exists: ptr(true)},
				{Path: "Records[].s3.object.key", Exists: ptr(false)},
				{Path: "id", Equals: []string{"1"}, Exists: ptr(true)},
			}
		}),
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if len(s.paths) != len(s.Filter) {
				t.Errorf("Validate cached %d paths for %d conditions", len(s.paths), len(s.Filter))
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Subscription)
		want   string
		is     error
	}{
		{"empty tenant", func(s *Subscription) { s.Tenant = "" }, "tenant is required", nil},
		{"empty event type", func(s *Subscription) { s.EventTypes = []string{"a", ""} }, "event_types[1] is empty", nil},
		{"star inside", func(s *Subscription) { s.EventTypes = []string{"photo.*.done"} }, `"*" is allowed only at the end`, nil},
		{"empty status", func(s *Subscription) { s.Statuses = []string{""} }, "statuses[0] is empty", nil},
		{"bad format", func(s *Subscription) { s.Format = "xml" }, `format "xml"`, format.ErrUnknownFormat},
		{"bad version", func(s *Subscription) { s.FormatVersion = "0.3" }, "format_version", format.ErrUnknownVersion},
		{"bad mturk version", func(s *Subscription) { s.Format = "mturk-event-doc"; s.FormatVersion = "v2" }, "format_version", format.ErrUnknownVersion},
		{"empty path", func(s *Subscription) { s.Filter = []Condition{{Exists: ptr(true)}} }, "filter[0].path: empty path", nil},
		{"unparsable path", func(s *Subscription) {
			s.Filter = []Condition{{Path: "a", Exists: ptr(true)}, {Path: "a[x]", Exists: ptr(true)}}
		}, "filter[1].path", nil},
		{"bad pointer", func(s *Subscription) { s.Filter = []Condition{{Path: "/a~2", Exists: ptr(true)}} }, "filter[0].path", nil},
		{"no test", func(s *Subscription) { s.Filter = []Condition{{Path: "a"}} }, "filter[0]: needs equals or exists", nil},
		{"contradiction", func(s *Subscription) {
			s.Filter = []Condition{{Path: "a", Equals: []string{"1"}, Exists: ptr(false)}}
		}, "filter[0]: exists false with equals can never hold", nil},
		{"bad destination", func(s *Subscription) { s.Destination.URL = "ftp://x/123456789012/q" }, "destination: url", nil},
		{"no destination", func(s *Subscription) { s.Destination = Destination{} }, "destination: type is required", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := valid(tt.change)
			err := s.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %q, want it to contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Validate = %v, want it to wrap %v", err, tt.is)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	s := &Subscription{
		EventTypes: []string{"a*b"},
		Filter:     []Condition{{Path: "x[", Exists: ptr(true)}},
		Format:     "nope",
	}
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate accepted it")
	}
	for _, want := range []string{"tenant is required", "event_types[0]", "filter[0].path", "destination: type is required", `format "nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %q, missing %q", err, want)
		}
	}
	if s.paths != nil {
		t.Errorf("Validate cached paths of a bad filter")
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		sub   func(*Subscription)
		event func(*publisher.Event)
		want  bool
	}{
		{"all events", nil, nil, true},
		{"inactive", func(s *Subscription) { s.Active = false }, nil, false},
		{"other tenant", nil, func(e *publisher.Event) { e.Tenant = "org-2" }, false},
		{"tenant is case sensitive", nil, func(e *publisher.Event) { e.Tenant = "ORG-1" }, false},
		{"type exact", func(s *Subscription) { s.EventTypes = []string{"x", "photo.status_changed"} }, nil, true},
		{"type other", func(s *Subscription) { s.EventTypes = []string{"photo.status"} }, nil, false},
		{"type wildcard", func(s *Subscription) { s.EventTypes = []string{"photo.*"} }, nil, true},
		{"type wildcard other", func(s *Subscription) { s.EventTypes = []string{"video.*"} }, nil, false},
		{"type wildcard needs the dot", func(s *Subscription) { s.EventTypes = []string{"photo.*"} },
			func(e *publisher.Event) { e.Type = "photography" }, false},
		{"type star alone", func(s *Subscription) { s.EventTypes = []string{"*"} }, nil, true},
		{"status listed", func(s *Subscription) { s.Statuses = []string{"PENDING", "DOWNLOADED"} }, nil, true},
		{"status not listed", func(s *Subscription) { s.Statuses = []string{"PENDING"} }, nil, false},
		{"status is exact", func(s *Subscription) { s.Statuses = []string{"downloaded"} }, nil, false},
		{"status missing", func(s *Subscription) { s.Statuses = []string{"DONE"} }, func(e *publisher.Event) { e.Status = "" }, false},
		{"nested equals", func(s *Subscription) {
			s.Filter = []Condition{{Path: "person.organization.id", Equals: []string{"7", "42"}}}
		}, nil, true},
		{"nested equals other", func(s *Subscription) {
			s.Filter = []Condition{{Path: "person.organization.id", Equals: []string{"7"}}}
		}, nil, false},
		{"pointer equals", func(s *Subscription) {
			s.Filter = []Condition{{Path: "/person/organization/name", Equals: []string{"Acme"}}}
		}, nil, true},
		{"array element", func(s *Subscription) { s.Filter = []Condition{{Path: "tags[1]", Equals: []string{"b"}}} }, nil, true},
		{"array each compares the first", func(s *Subscription) { s.Filter = []Condition{{Path: "tags[]", Equals: []string{"b"}}} }, nil, false},
		{"number as written", func(s *Subscription) { s.Filter = []Condition{{Path: "price", Equals: []string{"1.50"}}} }, nil, true},
		{"number not normalized", func(s *Subscription) { s.Filter = []Condition{{Path: "price", Equals: []string{"1.5"}}} }, nil, false},
		{"big number keeps digits", func(s *Subscription) {
			s.Filter = []Condition{{Path: "big", Equals: []string{"12345678901234567890"}}}
		}, nil, true},
		{"number equals string form", func(s *Subscription) { s.Filter = []Condition{{Path: "id", Equals: []string{"1419977"}}} }, nil, true},
		{"null", func(s *Subscription) { s.Filter = []Condition{{Path: "gone", Equals: []string{"null"}}} }, nil, true},
		{"object as json", func(s *Subscription) {
			s.Filter = []Condition{{Path: "person.organization", Equals: []string{`{"id":"42","name":"Acme"}`}}}
		}, nil, true},
		{"exists", func(s *Subscription) { s.Filter = []Condition{{Path: "person.organization", Exists: ptr(true)}} }, nil, true},
		{"null exists", func(s *Subscription) { s.Filter = []Condition{{Path: "gone", Exists: ptr(true)}} }, nil, true},
		{"exists missing", func(s *Subscription) { s.Filter = []Condition{{Path: "person.email", Exists: ptr(true)}} }, nil, false},
		{"not exists", func(s *Subscription) { s.Filter = []Condition{{Path: "person.email", Exists: ptr(false)}} }, nil, true},
		{"not exists present", func(s *Subscription) { s.Filter = []Condition{{Path: "id", Exists: ptr(false)}} }, nil, false},
		{"all conditions must hold", func(s *Subscription) {
			s.Filter = []Condition{
				{Path: "person.organization.id", Equals: []string{"42"}},
				{Path: "tags[0]", Equals: []string{"z"}},
			}
		}, nil, false},
		{"no data, equals", func(s *Subscription) { s.Filter = []Condition{{Path: "id", Equals: []string{"1"}}} },
			func(e *publisher.Event) { e.Data = nil }, false},
		{"no data, not exists", func(s *Subscription) { s.Filter = []Condition{{Path: "id", Exists: ptr(false)}} },
			func(e *publisher.Event) { e.Data = nil }, true},
		{"bad data", func(s *Subscription) { s.Filter = []Condition{{Path: "id", Exists: ptr(true)}} },
			func(e *publisher.Event) { e.Data = json.RawMessage(`{"id":`) }, false},
		{"invalid filter never matches", func(s *Subscription) { s.Filter = []Condition{{Path: "a[", Exists: ptr(false)}} }, nil, false},
		{"everything", func(s *Subscription) {
			s.EventTypes = []string{"photo.*"}
			s.Statuses = []string{"DOWNLOADED"}
			s.Filter = []Condition{{Path: "person.organization.id", Equals: []string{"42"}}}
		}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := ev(tt.event)
			// Unvalidated: Matches parses on the fly.
			s := valid(tt.sub)
			if got := s.Matches(e); got != tt.want {
				t.Errorf("Matches before Validate = %v, want %v", got, tt.want)
			}
			// Validated: Matches uses the cached paths.
			_ = s.Validate()
			if got := s.Matches(e); got != tt.want {
				t.Errorf("Matches after Validate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchesNilEvent(t *testing.T) {
	t.Parallel()
	if valid(nil).Matches(nil) {
		t.Error("Matches(nil) = true")
	}
	if got := Match([]*Subscription{valid(nil)}, nil); got != nil {
		t.Errorf("Match(subs, nil) = %v", got)
	}
}

// A filter changed after Validate is matched as it reads now, not as it
// was cached.
func TestMatchesAfterFilterChange(t *testing.T) {
	t.Parallel()
	s := valid(func(s *Subscription) {
		s.Filter = []Condition{{Path: "person.email", Exists: ptr(true)}}
	})
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	e := ev(nil)
	if s.Matches(e) {
		t.Fatal("matched before the change")
	}
	s.Filter[0].Path = "person.organization.id"
	if !s.Matches(e) {
		t.Error("the changed path was not used")
	}
	s.Filter = append(s.Filter, Condition{Path: "tags[0]", Equals: []string{"z"}})
	if s.Matches(e) {
		t.Error("the added condition was not used")
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	a := valid(func(s *Subscription) { s.ID = "a"; s.EventTypes = []string{"photo.*"} })
	b := valid(func(s *Subscription) { s.ID = "b"; s.Tenant = "org-2" })
	c := valid(func(s *Subscription) { s.ID = "c"; s.Statuses = []string{"DOWNLOADED"} })
	d := valid(func(s *Subscription) { s.ID = "d"; s.Active = false })
	e := valid(func(s *Subscription) {
		s.ID = "e"
		s.Filter = []Condition{{Path: "person.organization.id", Equals: []string{"42"}}}
	})
	f := valid(func(s *Subscription) { s.ID = "f" })
	subs := []*Subscription{f, a, nil, b, c, d, e}
	got := Match(subs, ev(nil))
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID)
	}
	if want := []string{"f", "a", "c", "e"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Match = %v, want %v", ids, want)
	}
	if got := Match(subs, ev(func(e *publisher.Event) { e.Tenant = "org-3" })); got != nil {
		t.Errorf("Match for another tenant = %v, want nil", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 30, 0, 123000000, time.UTC)
	subs := []*Subscription{
		valid(nil),
		{
			ID:            "sub-1",
			Tenant:        "org-1",
			EventTypes:    []string{"photo.*", "AssignmentSubmitted"},
			Statuses:      []string{"DONE", "DOWNLOADED"},
			Filter:        []Condition{{Path: "/a/b", Equals: []string{"1", "x"}}, {Path: "c", Exists: ptr(false)}, {Path: "d", Exists: ptr(true)}},
			Destination:   Destination{Type: DestinationKafka, Topic: "prod-archive-new", Brokers: []string{"k1:9092", "k2:9092"}},
			Format:        "s3-records",
			FormatVersion: "2.1",
			Active:        true,
			CreatedAt:     now,
			UpdatedAt:     now.Add(time.Hour),
		},
	}
	for i, s := range subs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var back Subscription
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if err := back.Validate(); err != nil {
				t.Fatalf("decoded subscription does not validate: %v", err)
			}
			if !reflect.DeepEqual(&back, s) {
				t.Errorf("round trip changed it:\n got %+v\nwant %+v\njson %s", back, *s, b)
			}
		})
	}
}

func TestJSONFieldNames(t *testing.T) {
	t.Parallel()
	in := `{"id":"s","tenant":"t","event_types":["x"],"statuses":["S"],` +
		`"filter":[{"path":"p","equals":["1"]},{"path":"q","exists":false}],` +
		`"destination":{"type":"sns","topic_arn":"arn:aws:sns:us-east-1:123456789012:t.fifo"},` +
		`"format":"photo-status","format_version":"1","active":true,` +
		`"created_at":"2024-05-01T00:00:00Z","updated_at":"2024-05-02T00:00:00Z"}`
	var s Subscription
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.ID != "s" || s.Tenant != "t" || s.EventTypes[0] != "x" || s.Statuses[0] != "S" ||
		s.Filter[0].Equals[0] != "1" || s.Filter[1].Exists == nil || *s.Filter[1].Exists ||
		!s.Destination.FIFO() || s.Format != "photo-status" || s.FormatVersion != "1" || !s.Active ||
		s.CreatedAt.Day() != 1 || s.UpdatedAt.Day() != 2 {
		t.Errorf("decoded %+v", s)
	}
	out, err := json.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("re-encoded\n got %s\nwant %s", out, in)
	}
}

func BenchmarkMatch(b *testing.B) {
	subs := make([]*Subscription, 1000)
	for i := range subs {
		s := valid(func(s *Subscription) {
			s.ID = fmt.Sprint(i)
			s.Tenant = fmt.Sprintf("org-%d", i%10)
			switch i % 4 {
			case 0:
				s.EventTypes = []string{"photo.*"}
			case 1:
				s.Statuses = []string{"DOWNLOADED", "DONE"}
			case 2:
				s.Filter = []Condition{{Path: "person.organization.id", Equals: []string{fmt.Sprint(i % 50)}}}
			case 3:
				s.EventTypes = []string{"photo.status_changed"}
				s.Filter = []Condition{{Path: "/tags/0", Exists: ptr(true)}}
			}
		})
		if err := s.Validate(); err != nil {
			b.Fatal(err)
		}
		subs[i] = s
	}
	e := ev(func(e *publisher.Event) { e.Tenant = "org-2" })
	if len(Match(subs, e)) == 0 {
		b.Fatal("nothing matches")
	}
	b.ReportAllocs()
	for b.Loop() {
		Match(subs, e)
	}
}

func ExampleMatch() {
	subs := []*Subscription{
		{ID: "all-photos", Tenant: "acme", EventTypes: []string{"photo.*"}, Active: true,
			Destination: Destination{Type: DestinationSQS, URL: "https://sqs.us-east-1.amazonaws.com/123456789012/photos"}},
		{ID: "downloaded", Tenant: "acme", Statuses: []string{"DOWNLOADED"}, Active: true,
			Filter:      []Condition{{Path: "person.organization.id", Equals: []string{"42"}}},
			Destination: Destination{Type: DestinationHTTPS, URL: "https://hooks.example.com/photos"}},
		{ID: "other-tenant", Tenant: "globex", Active: true,
			Destination: Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:photos"}},
	}
	for _, s := range subs {
		if err := s.Validate(); err != nil {
			fmt.Println(err)
		}
	}
	ev := &publisher.Event{
		Tenant: "acme", Type: "photo.status_changed", Status: "DOWNLOADED",
		Data: json.RawMessage(`{"person":{"organization":{"id":42}}}`),
	}
	for _, s := range Match(subs, ev) {
		fmt.Println(s.ID)
	}
	// Output:
	// all-photos
	// downloaded
}

// Match and Matches may run concurrently (run with -race).
func TestMatchConcurrent(t *testing.T) {
	t.Parallel()
	validated := valid(func(s *Subscription) { s.Filter = []Condition{{Path: "tags[0]", Equals: []string{"a"}}} })
	if err := validated.Validate(); err != nil {
		t.Fatal(err)
	}
	unvalidated := valid(func(s *Subscription) { s.Filter = []Condition{{Path: "/tags/1", Equals: []string{"b"}}} })
	subs := []*Subscription{validated, unvalidated}
	e := ev(nil)
	done := make(chan int)
	for range 8 {
		go func() {
			n := 0
			for range 100 {
				n += len(Match(subs, e))
			}
			done <- n
		}()
	}
	for range 8 {
		if n := <-done; n != 200 {
			t.Errorf("a goroutine matched %d times, want 200", n)
		}
	}
}
