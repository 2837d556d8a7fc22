package listen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/kafkasink"
	"github.com/herald-dev/herald/consumer/schema"
	"github.com/herald-dev/herald/consumer/sinks"
	"github.com/herald-dev/herald/consumer/sqssource"
	"github.com/herald-dev/herald/consumer/store/memory"
	"github.com/herald-dev/herald/consumer/store/postgres"
	"github.com/herald-dev/herald/consumer/store/sqlite"
	"github.com/herald-dev/herald/internal/bench"
)

// DefaultStore is where the listener keeps its state when none is named.
const DefaultStore = "sqlite:./herald-listen.db"

// Options are what the process gives the listener.
type Options struct {
	// Logger receives every log line.
	Logger *slog.Logger
	// Stdout is where the stdout sink writes.
	Stdout io.Writer
}

// openStore opens the store named by spec.
func openStore(ctx context.Context, spec string) (consumer.Store, string, error) {
	if spec == "" {
		spec = DefaultStore
	}
	switch {
	case spec == "memory":
		return memory.New(), "memory (nothing survives a restart)", nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		s, err := postgres.Open(ctx, spec, postgres.Options{})
		if err != nil {
			return nil, "", err
		}
		return s, redactURL(spec), nil
	case strings.HasPrefix(spec, "sqlite:"):
		path := strings.TrimPrefix(spec, "sqlite:")
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, "", fmt.Errorf("store: %w", err)
			}
		}
		s, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			return nil, "", err
		}
		abs, _ := filepath.Abs(path)
		return s, "sqlite:" + abs, nil
	}
	return nil, "", fmt.Errorf("store %q: want sqlite:PATH, postgres://... or memory", spec)
}

var passwordInURL = regexp.MustCompile(`(://[^:/@]*:)[^@]*@`)

func redactURL(u string) string { return passwordInURL.ReplaceAllString(u, "${1}xxxxx@") }

// awsConfig loads the standard AWS configuration (environment, shared
// files), with the region and endpoint overrides. Against an endpoint of
// its own (Herald's broker) with no credentials configured anywhere, it
// signs with placeholder credentials, which such a broker accepts.
func awsConfig(ctx context.Context, region, endpoint, queueURL string, pollers int, log *slog.Logger) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if endpoint != "" {
		// Not on EC2 when talking to an endpoint of one's own: asking the
		// instance metadata service for credentials would only wait.
		opts = append(opts, awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = regionOfQueueURL(queueURL)
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil || cfg.Credentials == nil {
			log.Info("no AWS credentials found; using placeholder credentials for the endpoint", "endpoint", endpoint)
			cfg.Credentials = credentials.NewStaticCredentialsProvider("herald", "herald", "")
		}
	}
	// Request bodies are sent from memory: see bench.BufferedTransport.
	cfg.HTTPClient = &http.Client{Transport: bench.BufferedTransport(sqssource.NewHTTPTransport(pollers))}
	return cfg, nil
}

// regionOfQueueURL reads the region from an AWS queue URL
// (https://sqs.eu-west-1.amazonaws.com/...), else us-east-1.
func regionOfQueueURL(u string) string {
	if m := queueURLRegion.FindStringSubmatch(u); m != nil {
		return m[1]
	}
	return "us-east-1"
}

var queueURLRegion = regexp.MustCompile(`^https?://sqs\.([a-z0-9-]+)\.amazonaws\.com`)

// decodeStrict decodes raw settings into v, refusing unknown fields.
func decodeStrict(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// buildSink constructs the sink sc describes. sqsClient gives the SQS
// client for "sqs" sinks (the source's endpoint and credentials).
func buildSink(ctx context.Context, name string, sc SinkConfig, o Options, sqsClient func() (*sqs.Client, error)) (consumer.Sink, error) {
	log := o.Logger.With("sink", name)
	wrap := func(err error) error { return fmt.Errorf("sink %s (%s): %w", name, sc.Type, err) }
	switch sc.Type {
	case "kafka":
		var c kafkasink.Config
		if err := decodeStrict(sc.Settings, &c); err != nil {
			return nil, wrap(err)
		}
		s, err := kafkasink.New(ctx, c, log)
		if err != nil {
			return nil, wrap(err)
		}
		return s, nil
	case "http":
		var c sinks.HTTPConfig
		if err := decodeStrict(sc.Settings, &c); err != nil {
			return nil, wrap(err)
		}
		s, err := sinks.NewHTTP(c, log)
		if err != nil {
			return nil, wrap(err)
		}
		return s, nil
	case "exec":
		var c sinks.ExecConfig
		if err := decodeStrict(sc.Settings, &c); err != nil {
			return nil, wrap(err)
		}
		s, err := sinks.NewExec(c, log)
		if err != nil {
			return nil, wrap(err)
		}
		return s, nil
	case "dir":
		var c sinks.DirConfig
		if err := decodeStrict(sc.Settings, &c); err != nil {
			return nil, wrap(err)
		}
		s, err := sinks.NewDir(c, log)
		if err != nil {
			return nil, wrap(err)
		}
		return s, nil
	case "download":
		var c sinks.DownloadConfig
		if err := decodeStrict(sc.Settings, &c); err != nil {
			return nil, wrap(err)
		}
		s, err := sinks.NewDownload(c, log)
		if err != nil {
			return nil, wrap(err)
		}
		return s, nil
	case "sqs":
		var c sqssource.ForwardConfig
		if err := decodeStrict(sc.Settings, &c); err != nil {
			return nil, wrap(err)
		}
		client, err := sqsClient()
		if err != nil {
			return nil, wrap(err)
		}
		s, err := sqssource.NewForward(c, client)
		if err != nil {
			return nil, wrap(err)
		}
		return s, nil
	case "stdout":
		var c sinks.StdoutConfig
		if err := decodeStrict(sc.Settings, &c); err != nil {
			return nil, wrap(err)
		}
		s, err := sinks.NewStdout(c, o.Stdout)
		if err != nil {
			return nil, wrap(err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("sink %s: unknown type %q (want kafka, http, exec, dir, download, sqs or stdout)", name, sc.Type)
}

// pipelineConfig turns the file's pipeline settings into a consumer.Config
// (without store, sinks, routes and quarantine).
func pipelineConfig(f *File) (consumer.Config, error) {
	var c consumer.Config
	for _, k := range f.Dedupe.Key {
		part, err := consumer.ParseKeyPart(k)
		if err != nil {
			return c, fmt.Errorf("dedupe: %w", err)
		}
		c.Key = append(c.Key, part)
	}
	var err error
	if f.Split != "" {
		if c.Split, err = consumer.ParsePath(f.Split); err != nil {
			return c, fmt.Errorf("split: %w", err)
		}
	}
	if (f.Ordering.Entity == "") != (f.Ordering.Version == "") {
		return c, errors.New("ordering: set both entity and version")
	}
	if f.Ordering.Entity != "" {
		if c.Entity, err = consumer.ParsePath(f.Ordering.Entity); err != nil {
			return c, fmt.Errorf("ordering entity: %w", err)
		}
		if c.Version, err = consumer.ParsePath(f.Ordering.Version); err != nil {
			return c, fmt.Errorf("ordering version: %w", err)
		}
	}
	if f.Schema != "" {
		s, err := schema.Load(f.Schema)
		if err != nil {
			return c, err
		}
		c.Schema = s
	}
	c.Lease = f.Dedupe.Lease.Std()
	c.BusyWait = f.Dedupe.BusyWait.Std()
	c.Concurrency = f.Concurrency
	return c, nil
}

// routes builds the routes; with none configured, one default route sends
// to every sink.
func routes(f *File, built map[string]consumer.Sink) ([]consumer.Route, error) {
	named := func(names []string) ([]consumer.NamedSink, error) {
		var out []consumer.NamedSink
		for _, n := range names {
			s, ok := built[n]
			if !ok {
				return nil, fmt.Errorf("route: no sink named %q", n)
			}
			out = append(out, consumer.NamedSink{Name: n, Sink: s})
		}
		return out, nil
	}
	if len(f.Routes) == 0 {
		names := make([]string, 0, len(built))
		for n := range built {
			names = append(names, n)
		}
		sort.Strings(names)
		all, _ := named(names)
		return []consumer.Route{{Name: "default", Sinks: all}}, nil
	}
	var out []consumer.Route
	for i, rc := range f.Routes {
		r := consumer.Route{Name: rc.Name, Values: rc.Values}
		if r.Name == "" {
			r.Name = fmt.Sprintf("route-%d", i+1)
		}
		if rc.Field != "" {
			p, err := consumer.ParsePath(rc.Field)
			if err != nil {
				return nil, fmt.Errorf("route %s: %w", r.Name, err)
			}
			r.Field = p
		} else if len(rc.Values) > 0 {
			return nil, fmt.Errorf("route %s: values without a field", r.Name)
		}
		sinks, err := named(rc.Sinks)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", r.Name, err)
		}
		r.Sinks = sinks
		out = append(out, r)
	}
	return out, nil
}

// newSQSClient returns an SQS client for the source's endpoint and region.
func newSQSClient(ctx context.Context, src *SQSSource, queueURL string, log *slog.Logger) (*sqs.Client, error) {
	var region, endpoint string
	var pollers int
	if src != nil {
		region, endpoint, pollers = src.Region, src.Endpoint, src.Concurrency
	}
	cfg, err := awsConfig(ctx, region, endpoint, queueURL, pollers, log)
	if err != nil {
		return nil, err
	}
	return sqs.NewFromConfig(cfg), nil
}
