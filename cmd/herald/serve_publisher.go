package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the outbox's SQLite driver

	"github.com/herald-dev/herald/internal/bench"
	"github.com/herald-dev/herald/internal/identity"
	"github.com/herald-dev/herald/internal/metrics"
	"github.com/herald-dev/herald/internal/pubapi"
	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/deliver"
	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/postgres"
	pubsqlite "github.com/herald-dev/herald/publisher/store/sqlite"
)

// publisherFlags configure the publisher that herald serve runs.
type publisherFlags struct {
	disabled    bool
	store       string
	endpoint    string
	workers     int
	maxAttempts int
	backoff     time.Duration
	backoffMax  time.Duration
	cooldown    time.Duration
	formats     sinkFlags // name=path, repeatable
	outbox      string
	rate        float64
	concurrency int
}

func (p *publisherFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.disabled, "no-publisher", false, "do not run the publisher (no /v1/ API, no deliveries) [HERALD_NO_PUBLISHER]")
	fs.StringVar(&p.store, "publisher-store", "", "the publisher's `store`: empty for SQLite in the data directory, or a postgres:// URL that several instances share [HERALD_PUBLISHER_STORE]")
	fs.StringVar(&p.endpoint, "publisher-endpoint", "", "where SQS and SNS deliveries go: empty for this server itself, \"aws\" for AWS (standard credentials and region), or an endpoint `URL` [HERALD_PUBLISHER_ENDPOINT]")
	fs.IntVar(&p.workers, "publisher-workers", 6, "concurrent delivery `loops` [HERALD_PUBLISHER_WORKERS]")
	fs.IntVar(&p.maxAttempts, "publisher-max-attempts", 10, "attempts before a delivery is dead [HERALD_PUBLISHER_MAX_ATTEMPTS]")
	fs.DurationVar(&p.backoff, "publisher-backoff", time.Second, "first retry's backoff `ceiling`, doubled per attempt, with full jitter [HERALD_PUBLISHER_BACKOFF]")
	fs.DurationVar(&p.backoffMax, "publisher-backoff-max", 10*time.Minute, "largest backoff `ceiling` [HERALD_PUBLISHER_BACKOFF_MAX]")
	fs.DurationVar(&p.cooldown, "publisher-breaker-cooldown", 30*time.Second, "how long a failing destination's open circuit holds deliveries before a probe [HERALD_PUBLISHER_BREAKER_COOLDOWN]")
	fs.Float64Var(&p.rate, "publisher-destination-rate", 0, "most notifications per `second` to one destination (queue, topic, endpoint, Kafka topic); 0 for no limit")
	fs.IntVar(&p.concurrency, "publisher-destination-concurrency", 64, "most `requests` in flight to one destination (an SQS or SNS batch of 10 is one)")
	fs.StringVar(&p.outbox, "publisher-outbox", "", "drain an application's transactional outbox table (herald_outbox): a postgres:// `URL` or the path of a SQLite file [HERALD_PUBLISHER_OUTBOX]")
	fs.Var(&p.formats, "format", "a custom message format, `name=path` of a Go text/template file rendering the body (JSON); repeatable")
}

// publisherService is the running publisher: its API and what to close.
type publisherService struct {
	api   http.Handler
	relay *relay.Relay
	store store.Store
	disp  *deliver.Dispatcher
	done  chan struct{}
	once  sync.Once
}

// startPublisher opens the publisher's store, registers custom formats and
// starts the relay; selfURL is this server's own base URL.
func startPublisher(ctx context.Context, f *serveFlags, selfURL string, self *identity.Identity, log *slog.Logger, reg *metrics.Registry) (*publisherService, error) {
	p := &f.publisher
	for _, spec := range p.formats {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || name == "" || path == "" {
			return nil, usageError{fmt.Sprintf("--format wants name=path, got %q", spec)}
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--format %s: %w", name, err)
		}
		tf, err := format.NewTemplate(name, string(text))
		if err != nil {
			return nil, fmt.Errorf("--format %s: %w", name, err)
		}
		if err := format.Register(tf); err != nil {
			return nil, fmt.Errorf("--format %s: %w", name, err)
		}
	}

	var st store.Store
	var err error
	switch {
	case strings.HasPrefix(p.store, "postgres://") || strings.HasPrefix(p.store, "postgresql://"):
		st, err = postgres.Open(ctx, p.store, postgres.Options{})
	case p.store != "":
		return nil, usageError{fmt.Sprintf("--publisher-store must be empty or a postgres:// URL, got %q", p.store)}
	default:
		dir := f.data
		if f.inMemory {
			if dir, err = os.MkdirTemp("", "herald-publisher-"); err != nil {
				return nil, err
			}
		}
		st, err = pubsqlite.Open(ctx, filepath.Join(dir, "publisher.db"), pubsqlite.Options{ReleaseLeases: true})
	}
	if err != nil {
		return nil, fmt.Errorf("publisher store: %w", err)
	}

	awsCfg, endpoint, err := publisherAWS(ctx, p.endpoint, selfURL, f.region, self)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	disp, err := deliver.New(deliver.Config{AWS: awsCfg, Endpoint: endpoint, Logger: log})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	attempts := reg.NewCounterVec("herald_publisher_attempts_total", "Publisher delivery attempts by destination type and outcome.", "destination", "outcome")
	latency := reg.NewHistogramVec("herald_publisher_delivery_latency_seconds", "Time from an event's acceptance to its delivery, by destination type.",
		[]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300}, "destination")
	r, err := relay.New(ctx, relay.Config{
		Store:                  st,
		Sender:                 disp,
		Workers:                p.workers,
		Retry:                  relay.RetryPolicy{MaxAttempts: p.maxAttempts, Base: p.backoff, Max: p.backoffMax},
		Breaker:                relay.BreakerPolicy{Cooldown: p.cooldown},
		DestinationRate:        p.rate,
		DestinationConcurrency: p.concurrency,
		Logger:                 log,
		OnAttempt: func(a relay.AttemptInfo) {
			attempts.Add(1, a.Destination, string(a.Outcome))
			if a.Outcome == store.Delivered {
				latency.Observe(a.Latency.Seconds(), a.Destination)
			}
		},
	})
	if err != nil {
		disp.Close()
		_ = st.Close()
		return nil, err
	}
	registerPublisherGauges(reg, r)
	ob, closeOutbox, err := outboxFrom(p.outbox)
	if err != nil {
		disp.Close()
		_ = st.Close()
		return nil, err
	}
	svc := &publisherService{api: pubapi.New(pubapi.Config{Relay: r, Logger: log}), relay: r, store: st, disp: disp, done: make(chan struct{})}
	go func() {
		defer close(svc.done)
		defer closeOutbox()
		var wg sync.WaitGroup
		if ob != nil {
			log.Info("draining the application's outbox", "outbox", p.outbox)
			wg.Go(func() { _ = r.DrainOutbox(ctx, *ob) })
		}
		_ = r.Run(ctx)
		wg.Wait()
	}()
	return svc, nil
}

// outboxFrom opens the --publisher-outbox database (nil when not set).
func outboxFrom(spec string) (*relay.Outbox, func(), error) {
	switch {
	case spec == "":
		return nil, func() {}, nil
	case strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://"):
		return &relay.Outbox{Dialect: publisher.Postgres, Pgx: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.Connect(ctx, spec)
		}}, func() {}, nil
	}
	db, err := sql.Open("sqlite", "file:"+spec+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, nil, fmt.Errorf("--publisher-outbox: %w", err)
	}
	if err := publisher.CreateOutbox(context.Background(), db, publisher.SQLite); err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("--publisher-outbox: %w", err)
	}
	return &relay.Outbox{Dialect: publisher.SQLite, DB: db}, func() { _ = db.Close() }, nil
}

// close waits for the relay (whose context has ended) and closes the rest.
func (s *publisherService) close() {
	s.once.Do(func() {
		<-s.done
		s.disp.Close()
		_ = s.store.Close()
	})
}

// publisherAWS returns the AWS configuration and endpoint for deliveries.
// self is the identity to sign with when delivering into this server (nil
// when it does not authenticate).
func publisherAWS(ctx context.Context, flagValue, selfURL, region string, self *identity.Identity) (aws.Config, string, error) {
	if flagValue == "aws" {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return aws.Config{}, "", fmt.Errorf("AWS configuration: %w", err)
		}
		cfg.HTTPClient = awsHTTPClient()
		return cfg, "", nil
	}
	endpoint := flagValue
	if endpoint == "" {
		endpoint = selfURL
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled), awsconfig.WithRegion(region))
	if err != nil {
		return aws.Config{}, "", fmt.Errorf("AWS configuration: %w", err)
	}
	switch {
	case flagValue == "" && self != nil:
		cfg.Credentials = credentials.NewStaticCredentialsProvider(self.AccessKeyID, self.SecretAccessKey, "")
	case flagValue == "":
		cfg.Credentials = credentials.NewStaticCredentialsProvider("herald", "herald", "")
	default:
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("herald", "herald", "")
		}
	}
	// Request bodies are sent from memory: see bench.BufferedTransport.
	cfg.HTTPClient = awsHTTPClient()
	return cfg, endpoint, nil
}

func registerPublisherGauges(reg *metrics.Registry, r *relay.Relay) {
	reg.NewCounterFunc("herald_publisher_events_accepted_total", "Events accepted by this instance.", nil, func(emit func(float64, ...string)) {
		emit(float64(r.Stats().Accepted))
	})
	reg.NewGaugeFunc("herald_publisher_in_flight", "Notifications being sent now.", nil, func(emit func(float64, ...string)) {
		emit(float64(r.Stats().InFlight))
	})
	reg.NewGaugeFunc("herald_publisher_open_circuits", "Destinations whose circuit breaker is open.", nil, func(emit func(float64, ...string)) {
		emit(float64(r.Stats().OpenCircuits))
	})
	reg.NewCounterFunc("herald_publisher_held_total", "Deliveries postponed by an open circuit.", nil, func(emit func(float64, ...string)) {
		emit(float64(r.Stats().Held))
	})
}

// awsHTTPClient is the deliveries' HTTP client for SQS and SNS: enough idle
// connections per host for the relay's concurrency, and request bodies
// sent from memory (see bench.BufferedTransport).
func awsHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 64
	return &http.Client{Transport: bench.BufferedTransport(t)}
}
