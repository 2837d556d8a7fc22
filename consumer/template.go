package consumer

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// A Template renders text (a Kafka topic or key, a file name, an HTTP
// header) from an event with Go's text/template. The data is TemplateData:
//
//	{{.Vars.env}}-archive-new
//	{{.Event.s3.object.key}}
//	{{field "Records[0].s3.object.key" .Event}}   (any Path; "" when absent)
//	{{.MessageID}} {{.Key}} {{index .Attributes "type"}}
//
// A missing map key is an error (so a typo in a topic template fails
// loudly instead of producing "<no value>"); use field for optional values.
type Template struct {
	text string
	tmpl *template.Template
	// static is set when the text has no actions: Execute returns it as is.
	static bool
}

// TemplateData is what a Template sees.
type TemplateData struct {
	// Event is the event's decoded JSON (nil when it is not JSON).
	Event any
	// Body is the event's raw body.
	Body string
	// MessageID, Key, Subject, TopicArn and Attributes are the Event's.
	MessageID  string
	Key        string
	Subject    string
	TopicArn   string
	Attributes map[string]string
	// Vars are the sink's configured variables (for example env: qa).
	Vars map[string]string
}

// ParseTemplate parses text. Text without "{{" is a constant.
func ParseTemplate(name, text string) (*Template, error) {
	t := &Template{text: text}
	if !strings.Contains(text, "{{") {
		t.static = true
		return t, nil
	}
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"field": templateField,
	}).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	t.tmpl = tmpl
	return t, nil
}

// field is the template function: the first value a path selects in data,
// as text.
func templateField(path string, data any) (string, error) {
	p, err := ParsePath(path)
	if err != nil {
		return "", err
	}
	v, ok := p.First(data)
	if !ok {
		return "", nil
	}
	return ValueString(v), nil
}

// String returns the template's text.
func (t *Template) String() string { return t.text }

// Execute renders the template for ev with the given vars.
func (t *Template) Execute(ev *Event, vars map[string]string) (string, error) {
	if t.static {
		return t.text, nil
	}
	data := TemplateData{
		Event: ev.Doc, Body: string(ev.Body), MessageID: ev.MessageID, Key: ev.Key,
		Subject: ev.Subject, TopicArn: ev.TopicArn, Attributes: ev.Attributes, Vars: vars,
	}
	if data.Vars == nil {
		data.Vars = map[string]string{}
	}
	var buf bytes.Buffer
	if err := t.tmpl.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("template %s: %w", t.tmpl.Name(), err)
	}
	return buf.String(), nil
}
