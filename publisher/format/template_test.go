package format

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/herald-dev/herald/publisher"
)

func TestNewTemplateRender(t *testing.T) {
	t.Parallel()
	data := json.RawMessage(`{"person":{"id":605353,"tags":["a","b"]},"score":0.30000000000000004,"big":123456789012345678901,"note":"<x>"}`)
	tests := []struct {
		name, body string
		opts       []TemplateOption
		version    string
		want       *Message
	}{
		{"fields", `{"id":{{json .ID}},"entity":{{json .EntityID}},"seq":{{.Sequence}},"at":{{json (rfc3339 .OccurredAt)}}}`, nil, "",
			&Message{Body: []byte(`{"id":"3ba9b042-b8b8-4714-98e9-17915c2eeb95","entity":"1419977","seq":7,"at":"2023-11-27T10:40:45.123Z"}`), ContentType: ContentTypeJSON}},
		{"field paths keep digits", `{"person":{{json (field "person.id")}},"tag":{{json (field "person.tags.1")}},"missing":{{json (field "person.nope.x")}},"big":{{json (field "big")}},"score":{{json .Data.score}}}`, nil, "",
			&Message{Body: []byte(`{"person":605353,"tag":"b","missing":null,"big":123456789012345678901,"score":0.30000000000000004}`), ContentType: ContentTypeJSON}},
		{"raw data keeps order", `{"data":{{.RawData}},"note":{{json .Data.note}}}`, nil, "",
			&Message{Body: []byte(`{"data":` + string(data) + `,"note":"<x>"}`), ContentType: ContentTypeJSON}},
		{"field from a value", `{{json (field "id" .Data.person)}}`, nil, "", &Message{Body: []byte(`605353`), ContentType: ContentTypeJSON}},
		{"version", `{"v":{{json .Version}}}`, nil, "2", &Message{Body: []byte(`{"v":"2"}`), ContentType: ContentTypeJSON}},
		{"subject and attributes", `{}`, []TemplateOption{
			WithSubject("{{.EntityType}} {{.EntityID}} is\n{{.Status}}"),
			WithAttribute("status", "{{.Status}}"),
			WithAttribute("tenant", "{{.Tenant}}"),
			WithAttribute("empty", "{{if false}}x{{end}}"),
		}, "", &Message{Body: []byte(`{}`), Subject: "photo 1419977 is?DOWNLOADED",
			Attributes: map[string]string{"status": "DOWNLOADED", "tenant": "acme"}, ContentType: ContentTypeJSON}},
		{"plain text", `{{.EntityID}} is {{.Status}}`, []TemplateOption{WithContentType("text/plain; charset=utf-8")}, "",
			&Message{Body: []byte(`1419977 is DOWNLOADED`), ContentType: "text/plain; charset=utf-8"}},
		{"json suffix type", `{"ok":true}`, []TemplateOption{WithContentType("application/vnd.acme+json")}, "",
			&Message{Body: []byte(`{"ok":true}`), ContentType: "application/vnd.acme+json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := NewTemplate("custom", tt.body, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name() != "custom" {
				t.Errorf("Name() = %q", f.Name())
			}
			got, err := f.Render(event(func(ev *publisher.Event) { ev.Data = data }), tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Body) != string(tt.want.Body) || got.Subject != tt.want.Subject ||
				got.ContentType != tt.want.ContentType || !maps.Equal(got.Attributes, tt.want.Attributes) {
				t.Errorf("got  %+v (body %s)\nwant %+v (body %s)", got, got.Body, tt.want, tt.want.Body)
			}
		})
	}
}

func TestNewTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tmplName, body string
		opts                 []TemplateOption
	}{
		{"empty name", "", `{}`, nil},
		{"built-in name", "cloudevents", `{}`, nil},
		{"parse error", "c", `{{.ID`, nil},
		{"unknown function", "c", `{{nope .ID}}`, nil},
		{"subject parse error", "c", `{}`, []TemplateOption{WithSubject("{{end}}")}},
		{"attribute parse error", "c", `{}`, []TemplateOption{WithAttribute("a", "{{if}}")}},
		{"attribute without name", "c", `{}`, []TemplateOption{WithAttribute("", "x")}},
		{"attribute twice", "c", `{}`, []TemplateOption{WithAttribute("a", "x"), WithAttribute("a", "y")}},
		{"bad content type", "c", `{}`, []TemplateOption{WithContentType("not a type")}},
	}
	for _, tt := range tests {
		if f, err := NewTemplate(tt.tmplName, tt.body, tt.opts...); err == nil {
			t.Errorf("%s: NewTemplate = %v, want an error", tt.name, f)
		}
	}
}

func TestTemplateRenderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		opts       []TemplateOption
		data       string
		want       string
	}{
		{"not JSON", `{"id": {{json .EntityID}}`, nil, `{}`, "not valid JSON"},
		{"unquoted string", `{"status": {{.Status}}}`, nil, `{}`, "not valid JSON"},
		{"json suffix checked", `nope`, []TemplateOption{WithContentType("application/cloudevents+json")}, `{}`, "not valid JSON"},
		{"missing key", `{"x":{{json .Data.nope}}}`, nil, `{"a":1}`, "body"},
		{"subject fails", `{}`, []TemplateOption{WithSubject("{{.Data.nope}}")}, `{}`, "subject"},
		{"attribute fails", `{}`, []TemplateOption{WithAttribute("a", "{{.Data.nope}}")}, `{}`, "attribute a"},
		{"bad data", `{}`, nil, `{"a":`, "data is not valid JSON"},
		{"too long", `{{range 2000000}}x{{end}}`, []TemplateOption{WithContentType("text/plain")}, `{}`, "longer than"},
		{"field arity", `{{field "a" 1 2}}`, nil, `{}`, "at most one value"},
	}
	for _, tt := range tests {
		f, err := NewTemplate("custom", tt.body, tt.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		m, err := f.Render(event(func(ev *publisher.Event) { ev.Data = json.RawMessage(tt.data) }), "")
		if !errors.Is(err, ErrCannotRender) || !strings.Contains(err.Error(), tt.want) || m != nil {
			t.Errorf("%s: got %v, %v; want an ErrCannotRender error containing %q", tt.name, m, err, tt.want)
		}
	}
	f, _ := NewTemplate("custom", `{}`)
	if _, err := f.Render(nil, ""); !errors.Is(err, ErrCannotRender) {
		t.Errorf("nil event: error = %v", err)
	}
}

// TestTemplateConcurrent renders one custom format from many goroutines:
// each render's field function must see its own event's data (run with
// -race).
func TestTemplateConcurrent(t *testing.T) {
	t.Parallel()
	f, err := NewTemplate("custom", `{"n":{{json (field "n")}}}`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			n, _ := json.Marshal(i)
			m, err := f.Render(event(func(ev *publisher.Event) { ev.Data = json.RawMessage(`{"n":` + string(n) + `}`) }), "")
			if err != nil {
				t.Error(err)
				return
			}
			if want := `{"n":` + string(n) + `}`; string(m.Body) != want {
				t.Errorf("body %s, want %s", m.Body, want)
			}
		})
	}
	wg.Wait()
}

func TestRegisterCustomFormat(t *testing.T) {
	f, err := NewTemplate("test-register-custom", `{"id":{{json .Event.ID}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(f); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		custom.Lock()
		delete(custom.m, f.Name())
		custom.Unlock()
	})
	got, err := Lookup("test-register-custom")
	if err != nil || got != f {
		t.Fatalf("Lookup = %v, %v; want the registered format", got, err)
	}
	if !slices.Contains(Names(), "test-register-custom") {
		t.Errorf("Names() = %v lacks the registered format", Names())
	}
	if err := Register(f); !errors.Is(err, ErrFormatExists) {
		t.Errorf("second Register: %v, want ErrFormatExists", err)
	}
	if err := Register(cloudEvents{}); !errors.Is(err, ErrFormatExists) {
		t.Errorf("Register over a built-in: %v, want ErrFormatExists", err)
	}
}
