package listen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/sinks"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/consumer/sqssource"
	"github.com/herald-dev/herald/internal/metrics"
)

// Listener is an assembled `herald listen`: sources, pipeline, store,
// metrics. Build it with Build, run it with Run.
type Listener struct {
	log       *slog.Logger
	store     consumer.Store
	storeDesc string
	pipeline  *consumer.Pipeline
	sqs       *sqssource.Source
	sns       *snshttp.Server
	closers   []func() error

	metricsAddr string
	metricsLn   net.Listener
	registry    *metrics.Registry
	progress    time.Duration
	retention   time.Duration
}

// Build validates f and assembles the listener. On error, everything built
// so far is closed.
func Build(ctx context.Context, f *File, o Options) (l *Listener, err error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if f.Source.SQS == nil && f.Source.SNS == nil {
		return nil, errors.New("no source: set an SQS queue URL (--queue-url) or an SNS endpoint (--sns-listen)")
	}
	l = &Listener{log: o.Logger, metricsAddr: f.Metrics, registry: metrics.NewRegistry(),
		progress: f.ProgressInterval.Or(10 * time.Second), retention: f.Dedupe.Retention.Or(336 * time.Hour)}
	l.registry.RegisterProcess()
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	cfg, err := pipelineConfig(f)
	if err != nil {
		return l, err
	}
	// Sinks.
	sinkConfigs := f.Sinks
	if len(sinkConfigs) == 0 {
		sinkConfigs = map[string]SinkConfig{"stdout": {Type: "stdout"}}
	}
	built := map[string]consumer.Sink{}
	names := make([]string, 0, len(sinkConfigs))
	for n := range sinkConfigs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s, err := buildSink(ctx, n, sinkConfigs[n], o, func() (*sqs.Client, error) {
			return newSQSClient(ctx, f.Source.SQS, "", o.Logger)
		})
		if err != nil {
			return l, err
		}
		built[n] = s
		l.closers = append(l.closers, s.Close)
	}
	if cfg.Routes, err = routes(f, built); err != nil {
		return l, err
	}
	// Store.
	store, desc, err := openStore(ctx, f.Store)
	if err != nil {
		return l, err
	}
	l.store, l.storeDesc = store, desc
	cfg.Store = store
	cfg.Logger = o.Logger
	// Quarantine.
	var queueURL string
	if f.Source.SQS != nil {
		queueURL = f.Source.SQS.QueueURL
	}
	switch {
	case f.Quarantine.QueueURL != "" && f.Quarantine.Dir != "":
		return l, errors.New("quarantine: set a queue URL or a directory, not both")
	case f.Quarantine.QueueURL != "":
		client, err := newSQSClient(ctx, f.Source.SQS, f.Quarantine.QueueURL, o.Logger)
		if err != nil {
			return l, err
		}
		q, err := sqssource.NewQuarantine(client, f.Quarantine.QueueURL)
		if err != nil {
			return l, err
		}
		cfg.Quarantine = q
	case f.Quarantine.Dir != "":
		q, err := sinks.NewQuarantineDir(sinks.QuarantineDirConfig{Dir: f.Quarantine.Dir}, o.Logger)
		if err != nil {
			return l, fmt.Errorf("quarantine: %w", err)
		}
		cfg.Quarantine = q
		l.closers = append(l.closers, q.Close)
	}
	if l.pipeline, err = consumer.NewPipeline(cfg); err != nil {
		return l, err
	}
	// Sources.
	if f.Source.SQS != nil {
		client, err := newSQSClient(ctx, f.Source.SQS, queueURL, o.Logger)
		if err != nil {
			return l, err
		}
		if l.sqs, err = sqssource.New(f.Source.SQS.Config, client, l.pipeline, o.Logger); err != nil {
			return l, err
		}
	}
	if f.Source.SNS != nil {
		if l.sns, err = snshttp.NewServer(*f.Source.SNS, l.pipeline, o.Logger); err != nil {
			return l, err
		}
	}
	if l.metricsAddr != "" {
		if l.metricsLn, err = net.Listen("tcp", l.metricsAddr); err != nil {
			return l, fmt.Errorf("metrics: %w", err)
		}
	}
	l.registerMetrics()
	return l, nil
}

// MetricsAddr is the bound metrics address, or "".
func (l *Listener) MetricsAddr() string {
	if l.metricsLn == nil {
		return ""
	}
	return l.metricsLn.Addr().String()
}

// Run runs the sources until ctx is cancelled, then shuts down gracefully:
// the SNS endpoint stops accepting and finishes its requests, the SQS
// source finishes or releases its in-flight messages. Run closes the
// listener before it returns.
func (l *Listener) Run(ctx context.Context) error {
	defer l.Close()
	var wg sync.WaitGroup
	bg, stopBG := context.WithCancel(ctx)
	defer func() { stopBG(); wg.Wait() }()

	if l.metricsLn != nil {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			l.registry.Render(w)
		})
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(l.metricsLn) }()
		defer srv.Close()
	}
	if l.sns != nil {
		if err := l.sns.Start(ctx); err != nil {
			return fmt.Errorf("sns endpoint: %w", err)
		}
		l.log.Info("sns endpoint listening", "url", l.sns.URL())
	}
	l.log.Info("herald listen started", "store", l.storeDesc, "owner", l.pipeline.Owner(), "metrics", l.MetricsAddr())
	wg.Add(2)
	go func() { defer wg.Done(); l.purgeLoop(bg) }()
	go func() { defer wg.Done(); l.progressLoop(bg) }()

	var runErr error
	if l.sqs != nil {
		runErr = l.sqs.Run(ctx)
	} else {
		<-ctx.Done()
	}
	if l.sns != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := l.sns.Stop(sctx); err != nil {
			l.log.Warn("sns endpoint stop", "err", err)
		}
		cancel()
	}
	stopBG()
	wg.Wait()
	l.logProgress(nil)
	return runErr
}

// Close closes the sinks, quarantine and store. Safe to call twice.
func (l *Listener) Close() {
	for _, c := range l.closers {
		if err := c(); err != nil {
			l.log.Warn("close", "err", err)
		}
	}
	l.closers = nil
	if l.store != nil {
		if err := l.store.Close(); err != nil {
			l.log.Warn("close store", "err", err)
		}
		l.store = nil
	}
	if l.metricsLn != nil {
		_ = l.metricsLn.Close()
	}
}

// purgeLoop forgets done keys older than the retention, hourly.
func (l *Listener) purgeLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := l.store.Purge(ctx, time.Now().Add(-l.retention))
		if err != nil && ctx.Err() == nil {
			l.log.Warn("purging old keys failed", "err", err)
		} else if n > 0 {
			l.log.Info("purged old keys", "keys", n)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// progressLoop logs the counters every progress interval.
func (l *Listener) progressLoop(ctx context.Context) {
	if l.progress <= 0 {
		return
	}
	t := time.NewTicker(l.progress)
	defer t.Stop()
	prev := l.pipeline.Stats().Snapshot()
	for {
		select {
		case <-t.C:
			prev = l.logProgress(&prev)
		case <-ctx.Done():
			return
		}
	}
}

// logProgress logs the counters (and the rate since prev, when given).
func (l *Listener) logProgress(prev *consumer.StatsSnapshot) consumer.StatsSnapshot {
	s := l.pipeline.Stats().Snapshot()
	attrs := []any{"messages", s.Messages, "events", s.Events, "delivered", s.Delivered, "duplicates", s.Duplicates,
		"stale", s.Stale, "quarantined", s.Quarantined, "unrouted", s.Unrouted, "failed", s.Failed,
		"in_flight", s.InFlight, "lag", s.Lag.Round(time.Millisecond)}
	if prev != nil && l.progress > 0 {
		attrs = append(attrs, "msgs_per_sec", float64(s.Messages-prev.Messages)/l.progress.Seconds())
	}
	if l.sqs != nil {
		st := l.sqs.Stats()
		attrs = append(attrs, "deleted", st.Deleted.Load(), "backlog", st.Backlog.Load())
	}
	if prev == nil {
		l.log.Info("final counts", attrs...)
	} else {
		l.log.Info("progress", attrs...)
	}
	return s
}
