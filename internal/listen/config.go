// Package listen assembles `herald listen` from its configuration file and
// flags: the sources (an SQS queue, an SNS HTTP endpoint), the consumer
// pipeline with its store, sinks, routes and quarantine, and the metrics
// endpoint. The consumer's behaviour lives in package consumer and its
// adapters; this package only reads configuration and wires them.
package listen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/consumer/sqssource"
)

// File is the listener's configuration, as written in YAML or TOML (the
// file's extension decides: .yaml/.yml or .toml; .json is read as JSON).
// Every field has a flag for the simple cases; flags win over the file.
type File struct {
	// Source says where messages come from: an SQS queue, an SNS HTTP(S)
	// endpoint, or both.
	Source Source `json:"source"`
	// Store is the deduplication store: "sqlite:PATH" (default
	// sqlite:./herald-listen.db), "postgres://..." (shared by several
	// listeners) or "memory" (nothing survives a restart).
	Store string `json:"store"`
	// Dedupe configures deduplication keys and claims.
	Dedupe Dedupe `json:"dedupe"`
	// Split is a path to an array whose elements are processed as separate
	// events ("Events", "Records").
	Split string `json:"split"`
	// Schema is a JSON Schema file each event must satisfy.
	Schema string `json:"schema"`
	// Ordering drops stale updates.
	Ordering Ordering `json:"ordering"`
	// Quarantine is where invalid and permanently refused events go.
	Quarantine QuarantineConfig `json:"quarantine"`
	// Sinks are the named sinks routes send to. Each has a "type" (kafka,
	// http, exec, dir, download, sqs, stdout) and that sink's settings.
	Sinks map[string]SinkConfig `json:"sinks"`
	// Routes are tried in order; the first match wins. With no routes,
	// every event goes to every sink.
	Routes []RouteConfig `json:"routes"`
	// Concurrency bounds the events of one batch delivered at once
	// (default 16).
	Concurrency int `json:"concurrency"`
	// Metrics is the address of the Prometheus endpoint (/metrics); empty
	// means none.
	Metrics string `json:"metrics"`
	// ProgressInterval is how often the counters are logged (default 10s;
	// negative: never).
	ProgressInterval consumer.Duration `json:"progress_interval"`
}

// Source configures the message sources.
type Source struct {
	// SQS is the queue to consume (with endpoint and region).
	SQS *SQSSource `json:"sqs"`
	// SNS is the HTTP(S) endpoint SNS pushes to.
	SNS *snshttp.Config `json:"sns"`
}

// SQSSource is an SQS queue and how to reach it.
type SQSSource struct {
	sqssource.Config
	// Endpoint overrides the SQS endpoint (Herald's broker, another
	// SQS-compatible server); empty means AWS's endpoint for the region.
	Endpoint string `json:"endpoint"`
	// Region is the AWS region; empty means the standard AWS configuration
	// (AWS_REGION, ~/.aws/config), else the queue URL's region, else
	// us-east-1.
	Region string `json:"region"`
}

// Dedupe configures deduplication.
type Dedupe struct {
	// Key lists the parts of the deduplication key: paths into the event
	// ("id", "status", "Records[].s3.object.sequencer", "/a/b"),
	// message:PATH (the whole message, e.g. message:EventDocId),
	// $message_id or $attribute.NAME. Default $message_id.
	Key []string `json:"key"`
	// Lease is how long a claim lives without renewal (default 2m).
	Lease consumer.Duration `json:"lease"`
	// BusyWait is how long a duplicate waits for another listener that is
	// processing the same key (default 10s).
	BusyWait consumer.Duration `json:"busy_wait"`
	// Retention is how long done keys are remembered (default 336h, SQS's
	// longest retention).
	Retention consumer.Duration `json:"retention"`
}

// Ordering configures staleness checks.
type Ordering struct {
	// Entity is the path of the entity id ("id").
	Entity string `json:"entity"`
	// Version is the path of the entity's version: an integer or a
	// timestamp ("dateCreated", "sequence").
	Version string `json:"version"`
}

// QuarantineConfig says where quarantined events go: a queue, a directory,
// or neither (then they stay in the source queue for its redrive policy).
type QuarantineConfig struct {
	// QueueURL is a dead-letter queue, reached with the SQS source's
	// endpoint and credentials.
	QueueURL string `json:"queue_url"`
	// Dir is a directory of JSON files, one per event.
	Dir string `json:"dir"`
}

// SinkConfig is one sink: its type and its own settings, kept raw until the
// type's config decodes them.
type SinkConfig struct {
	Type     string
	Settings json.RawMessage
}

// UnmarshalJSON splits "type" from the sink's settings.
func (s *SinkConfig) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if err := json.Unmarshal(m["type"], &s.Type); err != nil || s.Type == "" {
		return errors.New(`sink needs a "type" (kafka, http, exec, dir, download, sqs, stdout)`)
	}
	delete(m, "type")
	s.Settings, _ = json.Marshal(m)
	return nil
}

// RouteConfig is one route.
type RouteConfig struct {
	// Name names the route in logs.
	Name string `json:"name"`
	// Field is the path routed on; empty makes a default route.
	Field string `json:"field"`
	// Values the field must have (any); empty means the field must exist.
	Values []string `json:"values"`
	// Sinks are the names of the sinks the route sends to; empty drops.
	Sinks []string `json:"sinks"`
}

// Load reads a configuration file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data, strings.ToLower(filepath.Ext(path)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse decodes a configuration in the format named by ext (".yaml",
// ".yml", ".toml" or ".json"). Unknown fields are errors.
func Parse(data []byte, ext string) (*File, error) {
	var generic any
	switch ext {
	case ".yaml", ".yml":
		if err := yaml.Unmarshal(data, &generic); err != nil {
			return nil, err
		}
	case ".toml":
		var m map[string]any
		if _, err := toml.Decode(string(data), &m); err != nil {
			return nil, err
		}
		generic = m
	case ".json":
		generic = json.RawMessage(data)
	default:
		return nil, fmt.Errorf("unknown configuration format %q (want .yaml, .yml, .toml or .json)", ext)
	}
	if generic == nil {
		return &File{}, nil
	}
	js, err := json.Marshal(generic)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	var f File
	if err := decodeStrict(js, &f); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return &f, nil
}
