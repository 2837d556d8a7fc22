package listen

import (
	"strings"
	"testing"
)

const yamlConfig = `
source:
  sqs:
    queue_url: https://sqs.eu-west-1.amazonaws.com/123456789012/photos
    concurrency: 8
    wait_time: 5s
store: postgres://herald:secret@db:5432/herald
dedupe: {key: [id, status], lease: 1m}
split: Events
ordering: {entity: id, version: dateCreated}
sinks:
  kafka: {type: kafka, brokers: [k1:9092], topics: ["{{.Vars.env}}-archive-new"], vars: {env: qa}}
  out: {type: stdout}
routes:
  - {field: EventType, values: [AssignmentSubmitted], sinks: [kafka]}
  - {sinks: [out]}
`

const tomlConfig = `
store = "postgres://herald:secret@db:5432/herald"
split = "Events"

[source.sqs]
queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/photos"
concurrency = 8
wait_time = "5s"

[dedupe]
key = ["id", "status"]
lease = "1m"

[ordering]
entity = "id"
version = "dateCreated"

[sinks.kafka]
type = "kafka"
brokers = ["k1:9092"]
topics = ["{{.Vars.env}}-archive-new"]
vars = { env = "qa" }

[sinks.out]
type = "stdout"

[[routes]]
field = "EventType"
values = ["AssignmentSubmitted"]
sinks = ["kafka"]

[[routes]]
sinks = ["out"]
`

func TestParseYAMLAndTOMLAgree(t *testing.T) {
	t.Parallel()
	for ext, text := range map[string]string{".yaml": yamlConfig, ".toml": tomlConfig} {
		f, err := Parse([]byte(text), ext)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		s := f.Source.SQS
		if s == nil || s.QueueURL != "https://sqs.eu-west-1.amazonaws.com/123456789012/photos" || s.Concurrency != 8 || s.WaitTime.Std().String() != "5s" {
			t.Errorf("%s: sqs source %+v", ext, s)
		}
		if f.Store != "postgres://herald:secret@db:5432/herald" || f.Split != "Events" || f.Dedupe.Lease.Std().String() != "1m0s" ||
			strings.Join(f.Dedupe.Key, ",") != "id,status" || f.Ordering.Version != "dateCreated" {
			t.Errorf("%s: %+v", ext, f)
		}
		if len(f.Sinks) != 2 || f.Sinks["kafka"].Type != "kafka" || !strings.Contains(string(f.Sinks["kafka"].Settings), `"vars":{"env":"qa"}`) {
			t.Errorf("%s: sinks %+v", ext, f.Sinks)
		}
		if strings.Contains(string(f.Sinks["kafka"].Settings), `"type"`) {
			t.Errorf("%s: type left in the settings", ext)
		}
		if len(f.Routes) != 2 || f.Routes[0].Field != "EventType" || f.Routes[1].Sinks[0] != "out" {
			t.Errorf("%s: routes %+v", ext, f.Routes)
		}
		if _, err := pipelineConfig(f); err != nil {
			t.Errorf("%s: pipeline: %v", ext, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ ext, text, want string }{
		{".yaml", "sorce: {}", `unknown field "sorce"`},
		{".yaml", "source: {sqs: {queue_url: x, concurency: 2}}", `unknown field "concurency"`},
		{".yaml", "sinks: {a: {brokers: [x]}}", `sink needs a "type"`},
		{".yaml", "dedupe: {lease: soon}", `bad duration "soon"`},
		{".yaml", "source: [", "yaml"},
		{".toml", "store = ", "toml"},
		{".ini", "", "unknown configuration format"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.text), c.ext)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: %v, want an error containing %q", c.ext, c.text, err, c.want)
		}
	}
}

func TestPipelineConfigErrors(t *testing.T) {
	t.Parallel()
	for _, f := range []File{
		{Ordering: Ordering{Entity: "id"}},
		{Dedupe: Dedupe{Key: []string{"$bogus"}}},
		{Split: "a[x]"},
		{Schema: "/does/not/exist.json"},
	} {
		if _, err := pipelineConfig(&f); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	f := &File{Routes: []RouteConfig{{Field: "status", Values: []string{"DONE"}, Sinks: []string{"missing"}}}}
	if _, err := routes(f, nil); err == nil || !strings.Contains(err.Error(), `no sink named "missing"`) {
		t.Errorf("missing sink: %v", err)
	}
	if _, err := routes(&File{Routes: []RouteConfig{{Values: []string{"x"}}}}, nil); err == nil {
		t.Error("values without a field accepted")
	}
}

func TestRegionAndRedaction(t *testing.T) {
	t.Parallel()
	if r := regionOfQueueURL("https://sqs.eu-west-1.amazonaws.com/1/q"); r != "eu-west-1" {
		t.Errorf("region %s", r)
	}
	if r := regionOfQueueURL("http://127.0.0.1:9324/000000000000/q"); r != "us-east-1" {
		t.Errorf("region %s", r)
	}
	if u := redactURL("postgres://herald:s3cret@db/herald"); strings.Contains(u, "s3cret") {
		t.Errorf("password shown: %s", u)
	}
}

// FuzzParse feeds arbitrary configuration text in each format: never a
// panic, and whatever parses builds a pipeline configuration or a clear
// error.
func FuzzParse(f *testing.F) {
	f.Add(yamlConfig, ".yaml")
	f.Add(tomlConfig, ".toml")
	f.Add(`{"sinks":{"a":{"type":"stdout"}},"routes":[{"sinks":["a"]}]}`, ".json")
	f.Add("dedupe: {key: [\"message:\", \"$attribute.\"]}", ".yml")
	f.Fuzz(func(t *testing.T, text, ext string) {
		fl, err := Parse([]byte(text), ext)
		if err != nil {
			return
		}
		_, _ = pipelineConfig(fl)
	})
}
