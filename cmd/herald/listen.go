package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/internal/listen"
)

const listenUsage = `Usage: herald listen [flags]

Consumes notifications reliably: receives from an SQS queue (long polling)
and/or SNS HTTP pushes, unwraps SNS envelopes, validates, deduplicates,
drops stale updates, routes each event to its sinks, and deletes a message
only after its sinks succeeded.

Everything can be written in one YAML or TOML file (--config); the flags
cover the simple cases and win over the file. Examples:

  herald listen --queue-url http://127.0.0.1:9324/000000000000/photos \
      --endpoint http://127.0.0.1:9324 --dedupe-key id,status \
      --order-entity id --order-version dateCreated --sink dir:./photos

  herald listen --config listener.yaml

Sinks (--sink, repeatable): stdout | dir:PATH | http:URL | exec:COMMAND ARGS... |
kafka:BROKER[,BROKER]/TOPIC[,TOPIC]

Flags:
`

// sinkFlags collects repeated --sink flags.
type sinkFlags []string

func (s *sinkFlags) String() string     { return strings.Join(*s, " ") }
func (s *sinkFlags) Set(v string) error { *s = append(*s, v); return nil }

type listenFlags struct {
	config, queueURL, endpoint, region, snsListen, store string
	dedupeKey, split, schema, orderEntity, orderVersion  string
	quarantineDir, quarantineQueue, metrics              string
	logLevel, logFormat                                  string
	// onCommandLine names the flags the command line set (not the environment).
	onCommandLine                   map[string]bool
	sinks                           sinkFlags
	concurrency, batchSize          int
	waitTime, visibility            time.Duration
	snsAllowHTTPCerts, snsNoConfirm bool
	snsCertHost                     string
}

func parseListenFlags(args []string, getenv func(string) string, stderr io.Writer) (*listenFlags, error) {
	f := &listenFlags{}
	fs := flag.NewFlagSet("herald listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, listenUsage); fs.PrintDefaults() }
	fs.StringVar(&f.config, "config", "", "YAML or TOML configuration `file` [HERALD_LISTEN_CONFIG]")
	fs.StringVar(&f.queueURL, "queue-url", "", "SQS queue `URL` to consume")
	fs.StringVar(&f.endpoint, "endpoint", "", "SQS endpoint `URL` (Herald's broker, e.g. http://127.0.0.1:9324); default AWS [AWS_ENDPOINT_URL_SQS]")
	fs.StringVar(&f.region, "region", "", "AWS `region` (default: AWS_REGION / ~/.aws/config, else the queue URL's)")
	fs.IntVar(&f.concurrency, "concurrency", 0, "number of SQS pollers, each with one batch in flight (default 4)")
	fs.IntVar(&f.batchSize, "batch-size", 0, "messages per receive, 1-10 (default 10)")
	fs.DurationVar(&f.waitTime, "wait-time", 0, "long-poll wait per receive, up to 20s (default 20s)")
	fs.DurationVar(&f.visibility, "visibility-timeout", 0, "visibility timeout to receive with and extend by (default: the queue's)")
	fs.StringVar(&f.snsListen, "sns-listen", "", "`address` of an HTTP endpoint for SNS pushes, e.g. 127.0.0.1:8081")
	fs.StringVar(&f.snsCertHost, "sns-cert-host", "", "`regexp` the SNS signing certificate URL's host must match (default: AWS's SNS hosts)")
	fs.BoolVar(&f.snsAllowHTTPCerts, "sns-allow-http-certs", false, "accept http:// signing certificate URLs (a local broker)")
	fs.BoolVar(&f.snsNoConfirm, "sns-no-confirm", false, "do not confirm SNS subscriptions automatically (log the SubscribeURL)")
	fs.StringVar(&f.store, "store", "", "dedupe `store`: sqlite:PATH, postgres://... or memory (default "+listen.DefaultStore+") [HERALD_LISTEN_STORE]")
	fs.StringVar(&f.dedupeKey, "dedupe-key", "", "comma-separated key `parts`: paths (id,status), message:PATH, $message_id (default)")
	fs.StringVar(&f.split, "split", "", "`path` of an array whose elements are separate events (Events, Records)")
	fs.StringVar(&f.schema, "schema", "", "JSON Schema `file` every event must satisfy")
	fs.StringVar(&f.orderEntity, "order-entity", "", "`path` of the entity id for dropping stale updates (with --order-version)")
	fs.StringVar(&f.orderVersion, "order-version", "", "`path` of the entity version: an integer or a timestamp")
	fs.StringVar(&f.quarantineDir, "quarantine-dir", "", "`directory` for invalid and refused events")
	fs.StringVar(&f.quarantineQueue, "quarantine-queue", "", "dead-letter queue `URL` for invalid and refused events")
	fs.Var(&f.sinks, "sink", "a `sink`: stdout, dir:PATH, http:URL, exec:COMMAND, kafka:BROKERS/TOPICS (repeatable; default stdout)")
	fs.StringVar(&f.metrics, "metrics", "", "`address` for Prometheus /metrics, e.g. 127.0.0.1:9325 [HERALD_LISTEN_METRICS]")
	fs.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn or error [HERALD_LOG_LEVEL]")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format`: text or json [HERALD_LOG_FORMAT]")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	// Only the flags given on the command line, not those the environment
	// set, ask for an SQS source by themselves.
	var err error
	if f.onCommandLine, err = setFromEnv(fs, getenv); err != nil {
		return nil, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("listen takes no arguments, got %q", fs.Args())}
	}
	return f, nil
}

// listenFile merges the configuration file (if any) with the flags.
func listenFile(f *listenFlags) (*listen.File, error) {
	file := &listen.File{}
	if f.config != "" {
		var err error
		if file, err = listen.Load(f.config); err != nil {
			return nil, usageError{err.Error()}
		}
	}
	set := f.onCommandLine
	sqsFlag := f.queueURL != "" || set["endpoint"] || set["region"] || set["concurrency"] || set["batch-size"] ||
		set["wait-time"] || set["visibility-timeout"]
	if sqsFlag && file.Source.SQS == nil {
		file.Source.SQS = &listen.SQSSource{}
	}
	if s := file.Source.SQS; s != nil {
		if f.queueURL != "" {
			s.QueueURL = f.queueURL
		}
		if f.endpoint != "" {
			s.Endpoint = f.endpoint
		}
		if f.region != "" {
			s.Region = f.region
		}
		if f.concurrency != 0 {
			s.Concurrency = f.concurrency
		}
		if f.batchSize != 0 {
			s.BatchSize = f.batchSize
		}
		if f.waitTime != 0 {
			s.WaitTime = consumer.Duration(f.waitTime)
		}
		if f.visibility != 0 {
			s.VisibilityTimeout = consumer.Duration(f.visibility)
		}
		if s.QueueURL == "" {
			return nil, usageError{"an SQS source needs --queue-url"}
		}
	}
	if f.snsListen != "" || f.snsCertHost != "" || f.snsAllowHTTPCerts || f.snsNoConfirm {
		if file.Source.SNS == nil {
			file.Source.SNS = &snshttp.Config{}
		}
		if f.snsListen != "" {
			file.Source.SNS.Listen = f.snsListen
		}
		if f.snsCertHost != "" {
			file.Source.SNS.CertHostPattern = f.snsCertHost
		}
		if f.snsAllowHTTPCerts {
			file.Source.SNS.AllowHTTPCerts = true
		}
		if f.snsNoConfirm {
			no := false
			file.Source.SNS.AutoConfirm = &no
		}
	}
	if f.store != "" {
		file.Store = f.store
	}
	if f.dedupeKey != "" {
		file.Dedupe.Key = strings.Split(f.dedupeKey, ",")
	}
	if f.split != "" {
		file.Split = f.split
	}
	if f.schema != "" {
		file.Schema = f.schema
	}
	if f.orderEntity != "" {
		file.Ordering.Entity = f.orderEntity
	}
	if f.orderVersion != "" {
		file.Ordering.Version = f.orderVersion
	}
	if f.quarantineDir != "" {
		file.Quarantine.Dir = f.quarantineDir
	}
	if f.quarantineQueue != "" {
		file.Quarantine.QueueURL = f.quarantineQueue
	}
	if f.metrics != "" {
		file.Metrics = f.metrics
	}
	if len(f.sinks) > 0 {
		file.Sinks = map[string]listen.SinkConfig{}
		file.Routes = nil
		for i, spec := range f.sinks {
			sc, err := sinkFromFlag(spec)
			if err != nil {
				return nil, usageError{err.Error()}
			}
			file.Sinks[fmt.Sprintf("%s-%d", sc.Type, i+1)] = sc
		}
	}
	return file, nil
}

// sinkFromFlag turns a --sink value into a sink configuration.
func sinkFromFlag(spec string) (listen.SinkConfig, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	settings := map[string]any{}
	switch kind {
	case "stdout":
	case "dir":
		settings["dir"] = arg
	case "http", "https":
		settings["url"] = spec
		kind = "http"
	case "exec":
		fields := strings.Fields(arg)
		if len(fields) == 0 {
			return listen.SinkConfig{}, errors.New("--sink exec: needs a command, e.g. exec:./handle.sh")
		}
		settings["command"] = fields
	case "kafka":
		brokers, topics, ok := strings.Cut(arg, "/")
		if !ok || brokers == "" || topics == "" {
			return listen.SinkConfig{}, errors.New("--sink kafka: want kafka:BROKER[,BROKER]/TOPIC[,TOPIC]")
		}
		settings["brokers"] = strings.Split(brokers, ",")
		settings["topics"] = strings.Split(topics, ",")
	default:
		return listen.SinkConfig{}, fmt.Errorf("--sink %q: want stdout, dir:PATH, http:URL, exec:COMMAND or kafka:BROKERS/TOPICS", spec)
	}
	raw, _ := json.Marshal(settings)
	return listen.SinkConfig{Type: kind, Settings: raw}, nil
}

func runListen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseListenFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	file, err := listenFile(f)
	if err != nil {
		return err
	}
	l, err := listen.Build(ctx, file, listen.Options{Logger: log, Stdout: stdout})
	if err != nil {
		return err
	}
	return l.Run(ctx)
}
