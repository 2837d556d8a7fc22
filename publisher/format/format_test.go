package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// occurred is the fixed time of the test events.
var occurred = time.Date(2023, 11, 27, 5, 40, 45, 123_000_000, time.FixedZone("EST", -5*3600))

// event returns a valid event; change fills in the rest.
func event(change func(*publisher.Event)) *publisher.Event {
	ev := &publisher.Event{
		ID:         "3ba9b042-b8b8-4714-98e9-17915c2eeb95",
		Tenant:     "acme",
		EntityType: "photo",
		EntityID:   "1419977",
		Type:       "photo.status_changed",
		Status:     "DOWNLOADED",
		OccurredAt: occurred,
		Sequence:   7,
	}
	if change != nil {
		change(ev)
	}
	return ev
}

// seed reads a file of testdata/seed: the seed documents' own examples.
func seed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compact returns raw without insignificant space.
func compact(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("compact %s: %v", raw, err)
	}
	return buf.Bytes()
}

// render renders ev with the named built-in format, failing the test on
// error.
func render(t testing.TB, name, version string, ev *publisher.Event) *Message {
	t.Helper()
	f, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Render(ev, version)
	if err != nil {
		t.Fatalf("%s: Render: %v", name, err)
	}
	if !json.Valid(m.Body) {
		t.Fatalf("%s: body is not valid JSON: %s", name, m.Body)
	}
	return m
}

// keys returns the member names of the JSON object raw, in order, decoded
// independently of the package's own object parser.
func keys(t testing.TB, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// valueOf returns the raw value of key in the object raw.
func valueOf(t testing.TB, raw []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m[key]
}

// dump is a Message as a golden file holds it.
func dump(m *Message) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "content-type: %s\nsubject: %s\n", m.ContentType, m.Subject)
	names := make([]string, 0, len(m.Attributes))
	for n := range m.Attributes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "attribute: %s=%s\n", n, m.Attributes[n])
	}
	fmt.Fprintf(&b, "\n%s\n", m.Body)
	return b.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	mediaJob := func(file, status string) *publisher.Event {
		return event(func(ev *publisher.Event) {
			ev.EntityType, ev.EntityID, ev.Type, ev.Status = "media", "<uuid>", "job-completed", status
			ev.Data = seed(t, file)
		})
	}
	tests := []struct {
		name, format, version string
		ev                    *publisher.Event
	}{
		{"cloudevents", "cloudevents", "", event(func(ev *publisher.Event) {
			ev.Data = json.RawMessage(`{"id": 1419977, "score": 0.30000000000000004, "big": 123456789012345678901234567890, "note": "<a & b>"}`)
		})},
		{"cloudevents-no-data", "cloudevents", "1.0", event(func(ev *publisher.Event) {
			ev.Tenant, ev.Status, ev.Sequence = "acme co/east", "", 1
		})},
		{"photo-status", "photo-status", "", event(func(ev *publisher.Event) {
			ev.Data = seed(t, "photo-status.json")
		})},
		{"media-job-ingest", "media-job", "", mediaJob("media-job-ingest.json", "COMPLETED")},
		{"media-job-analysis", "media-job", "1", mediaJob("media-job-analysis.json", "")},
		{"media-job-labeling", "media-job", "", mediaJob("media-job-labeling.json", "completed")},
		{"media-job-error", "media-job", "", mediaJob("media-job-error.json", "ERROR")},
		{"s3-records", "s3-records", "", event(func(ev *publisher.Event) {
			ev.EntityType, ev.Type, ev.Status = "object", "ObjectCreated:Put", ""
			ev.EntityID = "1234567/abcd1234-1234-abcd-5678-1234abcd1234/20200609125740-1234567890abcdef1234567890abcdef"
			ev.Data = json.RawMessage(`{"bucket":"insights-archive","region":"us-east-1","size":11805,"eTag":"9876543210abcdef9876543210abcdef"}`)
		})},
		{"s3-records-removed", "s3-records", "2.1", event(func(ev *publisher.Event) {
			ev.EntityType, ev.Type, ev.Status, ev.Sequence = "object", "ObjectRemoved:Delete", "", 0x55AED6DCD90281E5
			ev.EntityID = "photos/red flower.jpg"
			ev.Data = json.RawMessage(`{"bucket":"insights-archive","region":"cn-north-1","versionId":"096fKKXTRTtl3on89fVO.nfljtsv6qko","principalId":"AWS:AIDAJDPLRKLG7UEXAMPLE","requestId":"C3D13FE58DE4C810","hostId":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"}`)
		})},
		{"mturk-event-doc", "mturk-event-doc", "", event(func(ev *publisher.Event) {
			ev.EntityType, ev.EntityID, ev.Type, ev.Status = "hit", "GBHZVQX3EHXZ2AYDY2T0", "AssignmentSubmitted", ""
			ev.Data = json.RawMessage(`{"HITTypeId":"T9MZXVGSTCN0NQHJNWY0","AssignmentId":"GYFTRHZ5J3DZREY48WNZE38ZR9RR1ZPMXGWE7WE0"}`)
		})},
		{"mturk-event-doc-no-assignment", "mturk-event-doc", "2006-05-05", event(func(ev *publisher.Event) {
			ev.EntityType, ev.EntityID, ev.Type, ev.Status = "hit", "GBHZVQX3EHXZ2AYDY2T0", "HITReviewable", ""
			ev.Data = json.RawMessage(`{"HITTypeId":"T9MZXVGSTCN0NQHJNWY0","AssignmentId":null}`)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := *tt.ev
			before.Data = slices.Clone(tt.ev.Data)
			m := render(t, tt.format, tt.version, tt.ev)
			checkGolden(t, tt.name, dump(m))
			if !bytes.Equal(before.Data, tt.ev.Data) || before.Status != tt.ev.Status {
				t.Error("Render modified the event")
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	want := []string{"cloudevents", "media-job", "mturk-event-doc", "photo-status", "s3-records"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		f, err := Lookup(name)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", name, err)
		}
		if f.Name() != name {
			t.Errorf("Lookup(%q).Name() = %q", name, f.Name())
		}
	}
	f, err := Lookup("")
	if err != nil || f.Name() != Default {
		t.Errorf("Lookup(\"\") = %v, %v; want the %s format", f, err, Default)
	}
	if _, err := Lookup("xml"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Lookup(xml) error = %v, want ErrUnknownFormat", err)
	}
}

func TestUnknownVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ format, version string }{
		{"cloudevents", "0.3"},
		{"photo-status", "2"},
		{"media-job", "v1"},
		{"s3-records", "2.0"},
		{"mturk-event-doc", "2006-5-5"},
		{"mturk-event-doc", "latest"},
	} {
		f, _ := Lookup(tt.format)
		_, err := f.Render(event(nil), tt.version)
		if !errors.Is(err, ErrUnknownVersion) {
			t.Errorf("%s version %q: error = %v, want ErrUnknownVersion", tt.format, tt.version, err)
		}
	}
}

// TestCannotRender covers the events each format refuses, with the error
// naming the problem.
func TestCannotRender(t *testing.T) {
	t.Parallel()
	data := func(s string) func(*publisher.Event) {
		return func(ev *publisher.Event) { ev.Data = json.RawMessage(s) }
	}
	tests := []struct {
		format string
		ev     *publisher.Event
		want   string // in the error text
	}{
		{"cloudevents", nil, "nil event"},
		{"cloudevents", event(func(ev *publisher.Event) { ev.ID = "" }), "id is required"},
		{"cloudevents", event(data(`{"a":`)), "not valid JSON"},
		{"photo-status", event(nil), "data is required"},
		{"photo-status", event(data(`[1,2]`)), "photo object"},
		{"photo-status", event(data(`"photo"`)), "photo object"},
		{"photo-status", event(data(`{"id":1} {}`)), "photo object"},
		{"photo-status", event(data(`{"helperBotAction":7}`)), "helperBotAction must be a string"},
		{"photo-status", event(func(ev *publisher.Event) { ev.Status = ""; ev.Data = json.RawMessage(`{"id":1}`) }), "status is required"},
		{"photo-status", event(func(ev *publisher.Event) { ev.EntityID = ""; ev.Data = json.RawMessage(`{}`) }), "data.id or entity_id"},
		{"media-job", event(data(`{"stateMachine":"m"}`)), `status "DOWNLOADED" is not known`},
		{"media-job", event(func(ev *publisher.Event) { ev.Status = "" }), "status is required"},
		{"media-job", event(func(ev *publisher.Event) { ev.Status = "COMPLETED" }), "data is required"},
		{"media-job", event(func(ev *publisher.Event) { ev.Status = "COMPLETED"; ev.Data = json.RawMessage(`{"input":{}}`) }), "stateMachine is required"},
		{"media-job", event(func(ev *publisher.Event) {
			ev.Status = "COMPLETED"
			ev.Data = json.RawMessage(`{"stateMachine":"m","progress":"50%"}`)
		}), "progress must be a number"},
		{"media-job", event(func(ev *publisher.Event) { ev.Status = "ERROR"; ev.Data = json.RawMessage(`{"stateMachine":"m"}`) }), "errorMessage is required"},
		{"s3-records", event(data(`{"size":1,"eTag":"e"}`)), "bucket is required"},
		{"s3-records", event(data(`{"bucket":"b","eTag":"e"}`)), "size is required"},
		{"s3-records", event(data(`{"bucket":"b","size":-1,"eTag":"e"}`)), "non-negative integer"},
		{"s3-records", event(data(`{"bucket":"b","size":1.5,"eTag":"e"}`)), "non-negative integer"},
		{"s3-records", event(data(`{"bucket":"b","size":1}`)), "eTag is required"},
		{"s3-records", event(data(`{"bucket":["b"],"size":1,"eTag":"e"}`)), "bucket must be a string"},
		{"s3-records", event(func(ev *publisher.Event) {
			ev.Sequence = 0
			ev.Data = json.RawMessage(`{"bucket":"b","size":1,"eTag":"e"}`)
		}), "sequence must be positive"},
		{"s3-records", event(func(ev *publisher.Event) { ev.OccurredAt = time.Time{} }), "occurred_at is required"},
		{"mturk-event-doc", event(data(`{"AssignmentId":"a"}`)), "HITTypeId is required"},
		{"mturk-event-doc", event(data(`{"HITTypeId":"t","AssignmentId":5}`)), "AssignmentId must be a string"},
		{"mturk-event-doc", event(func(ev *publisher.Event) { ev.Tenant = "" }), "tenant is required"},
	}
	for _, tt := range tests {
		f, _ := Lookup(tt.format)
		m, err := f.Render(tt.ev, "")
		if !errors.Is(err, ErrCannotRender) || !strings.Contains(err.Error(), tt.want) || m != nil {
			t.Errorf("%s %+v: got %v, %v; want an ErrCannotRender error containing %q", tt.format, tt.ev, m, err, tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), tt.format+": ") {
			t.Errorf("error %q does not name the format", err)
		}
	}
}

func TestCloudEvents(t *testing.T) {
	t.Parallel()
	ev := event(func(ev *publisher.Event) { ev.Data = json.RawMessage(`{"n": 12345678901234567890.50}`) })
	m := render(t, "cloudevents", "", ev)
	wantKeys := []string{"specversion", "id", "source", "type", "subject", "time", "datacontenttype",
		"heraldtenant", "heraldentitytype", "heraldstatus", "heraldsequence", "data"}
	if got := keys(t, m.Body); !slices.Equal(got, wantKeys) {
		t.Errorf("keys = %v, want %v", got, wantKeys)
	}
	var ce struct {
		SpecVersion, ID, Source, Type, Subject, Time, HeraldSequence string
		Data                                                         json.RawMessage
	}
	if err := json.Unmarshal(m.Body, &ce); err != nil {
		t.Fatal(err)
	}
	if ce.SpecVersion != "1.0" || ce.ID != ev.ID || ce.Source != "/herald/acme/photo" ||
		ce.Type != ev.Type || ce.Subject != ev.EntityID || ce.HeraldSequence != "7" {
		t.Errorf("attributes = %+v", ce)
	}
	if ce.Time != "2023-11-27T10:40:45.123Z" {
		t.Errorf("time = %q, want UTC RFC 3339", ce.Time)
	}
	if string(ce.Data) != `{"n":12345678901234567890.50}` {
		t.Errorf("data = %s, want the digits kept", ce.Data)
	}
	if m.ContentType != ContentTypeCloudEvents {
		t.Errorf("content type = %q", m.ContentType)
	}
	// Extension attribute names: a-z and 0-9, at most 20 characters.
	for _, k := range keys(t, m.Body) {
		if len(k) > 20 || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Errorf("attribute name %q is not a valid CloudEvents name", k)
		}
	}
}
