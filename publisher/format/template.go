package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/herald-dev/herald/publisher"
)

// MaxTemplateBody bounds what a custom format may render, in bytes: a
// body, subject or attribute longer than this is an error. It is SQS's
// largest message.
const MaxTemplateBody = 1 << 20

// TemplateOption configures a custom format made by NewTemplate.
type TemplateOption func(*templateFormat) error

// WithContentType sets the custom format's content type (default
// "application/json"). When it is JSON ("application/json" or any
// "+json" type), Render checks that the body is valid JSON.
func WithContentType(contentType string) TemplateOption {
	return func(t *templateFormat) error {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return fmt.Errorf("content type %q: %w", contentType, err)
		}
		t.contentType = contentType
		t.isJSON = mt == "application/json" || strings.HasSuffix(mt, "+json")
		return nil
	}
}

// WithSubject sets a template for the message's SNS Subject. The rendered
// subject is made valid for SNS (printable ASCII, under 100 characters).
func WithSubject(text string) TemplateOption {
	return func(t *templateFormat) error {
		tmpl, err := parseTemplate(t.name+".subject", text)
		if err != nil {
			return err
		}
		t.subject = tmpl
		return nil
	}
}

// WithAttribute adds a message attribute (String type) whose value is
// rendered from a template. An attribute that renders empty is left out.
func WithAttribute(name, text string) TemplateOption {
	return func(t *templateFormat) error {
		if name == "" {
			return errors.New("attribute name is empty")
		}
		if _, dup := t.attributes[name]; dup {
			return fmt.Errorf("attribute %q declared twice", name)
		}
		tmpl, err := parseTemplate(t.name+".attribute."+name, text)
		if err != nil {
			return err
		}
		t.attributes[name] = tmpl
		return nil
	}
}

// TemplateData is what a custom format's templates see: the event's
// fields, its data decoded (numbers as json.Number, so they keep their
// digits) and as raw JSON text (which keeps its key order), and the
// subscription's format version.
type TemplateData struct {
	ID, Tenant, EntityType, EntityID, Type, Status string
	OccurredAt                                     time.Time
	Sequence                                       int64
	// Data is the decoded data: map[string]any, []any, string,
	// json.Number, bool or nil.
	Data any
	// RawData is the data as the application sent it ("null" when absent).
	RawData string
	// Version is the subscription's format version, possibly "".
	Version string
}

type templateFormat struct {
	name        string
	body        *template.Template
	subject     *template.Template
	attributes  map[string]*template.Template
	contentType string
	isJSON      bool
}

// NewTemplate declares a custom format called name whose body is the Go
// text/template bodyTemplate, executed with a TemplateData. Besides the
// built-in template functions there are:
//
//	json     the JSON encoding of a value: {{json .EntityID}}, {{json .Data}}
//	field    a value from Data by dotted path, nil when absent; a number
//	         selects an array element: {{json (field "person.organization.id")}};
//	         with a second argument, from that value instead of Data
//	rfc3339  a time in UTC, RFC 3339 with fractional seconds: {{rfc3339 .OccurredAt}}
//
// A missing map key in a template (.Data.nope) is an error at Render; use
// field for optional values. For example:
//
//	{"entity":{{json .EntityID}},"status":{{json .Status}},"data":{{.RawData}}}
//
// NewTemplate returns an error when name is empty or a built-in format's
// name, or when a template does not parse. Render returns an error wrapping
// ErrCannotRender when a template fails to execute or, for a JSON content
// type, the body is not valid JSON.
func NewTemplate(name, bodyTemplate string, opts ...TemplateOption) (Format, error) {
	if name == "" {
		return nil, errors.New("format: template: name is empty")
	}
	if _, ok := builtins[name]; ok {
		return nil, fmt.Errorf("format: template %q: the name of a built-in format", name)
	}
	body, err := parseTemplate(name, bodyTemplate)
	if err != nil {
		return nil, fmt.Errorf("format: template %q: %w", name, err)
	}
	t := &templateFormat{
		name:        name,
		body:        body,
		attributes:  map[string]*template.Template{},
		contentType: ContentTypeJSON,
		isJSON:      true,
	}
	for _, opt := range opts {
		if err := opt(t); err != nil {
			return nil, fmt.Errorf("format: template %q: %w", name, err)
		}
	}
	return t, nil
}

var templateFuncs = template.FuncMap{
	"json":    templateJSON,
	"field":   func(string, ...any) (any, error) { return nil, errors.New("field: unbound") }, // bound in execute
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
}

func parseTemplate(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Funcs(templateFuncs).Parse(text)
}

func (t *templateFormat) Name() string { return t.name }

func (t *templateFormat) Render(ev *publisher.Event, version string) (*Message, error) {
	if err := checkEvent(t.name, ev); err != nil {
		return nil, err
	}
	td := &TemplateData{
		ID: ev.ID, Tenant: ev.Tenant, EntityType: ev.EntityType, EntityID: ev.EntityID,
		Type: ev.Type, Status: ev.Status, OccurredAt: ev.OccurredAt, Sequence: ev.Sequence,
		RawData: "null", Version: version,
	}
	if len(ev.Data) > 0 {
		if !json.Valid(ev.Data) {
			return nil, cannot(t.name, "data is not valid JSON")
		}
		dec := json.NewDecoder(bytes.NewReader(ev.Data))
		dec.UseNumber()
		if err := dec.Decode(&td.Data); err != nil {
			return nil, cannot(t.name, "data: %v", err)
		}
		td.RawData = string(ev.Data)
	}
	body, err := execute(t.body, td)
	if err != nil {
		return nil, cannot(t.name, "body: %v", err)
	}
	if t.isJSON && !json.Valid(body) {
		return nil, cannot(t.name, "body is not valid JSON (content type %s): %.200q", t.contentType, body)
	}
	m := &Message{Body: body, ContentType: t.contentType}
	if t.subject != nil {
		s, err := execute(t.subject, td)
		if err != nil {
			return nil, cannot(t.name, "subject: %v", err)
		}
		m.Subject = snsSubject(string(s))
	}
	for name, tmpl := range t.attributes {
		v, err := execute(tmpl, td)
		if err != nil {
			return nil, cannot(t.name, "attribute %s: %v", name, err)
		}
		if len(v) == 0 {
			continue
		}
		if m.Attributes == nil {
			m.Attributes = map[string]string{}
		}
		m.Attributes[name] = string(v)
	}
	return m, nil
}

// execute runs tmpl, failing once the output passes MaxTemplateBody. The
// field function is bound to td's Data on a clone, so that concurrent
// renders do not share it.
func execute(tmpl *template.Template, td *TemplateData) ([]byte, error) {
	tmpl, err := tmpl.Clone()
	if err != nil {
		return nil, err
	}
	tmpl.Funcs(template.FuncMap{"field": func(path string, from ...any) (any, error) {
		if len(from) > 1 {
			return nil, errors.New("field: want a path and at most one value")
		}
		if len(from) == 1 {
			return templateField(path, from[0])
		}
		return templateField(path, td.Data)
	}})
	w := &limitedBuffer{max: MaxTemplateBody}
	if err := tmpl.Execute(w, td); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

var errTooLong = fmt.Errorf("output longer than %d bytes", MaxTemplateBody)

func (w *limitedBuffer) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.max {
		return 0, errTooLong
	}
	return w.buf.Write(p)
}

// templateJSON is the json template function.
func templateJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// templateField is the field template function: the value at a dotted
// path in data, nil when there is none.
func templateField(path string, data any) (any, error) {
	if path == "" {
		return nil, errors.New("field: empty path")
	}
	v := data
	for _, seg := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, nil
			}
			v = c[i]
		default:
			return nil, nil
		}
	}
	return v, nil
}
