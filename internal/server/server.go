// Package server assembles Herald's HTTP surface: the SQS protocols on "/",
// Prometheus metrics on /metrics and a health check on /healthz.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/herald-dev/herald/internal/metrics"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/sqsapi"
)

// Config configures the server.
type Config struct {
	// Engine is the queue engine. Required.
	Engine *queue.Engine
	// Account is the default account id.
	Account string
	// PublicURL is the base of advertised queue URLs; empty means the
	// request's Host.
	PublicURL string
	// Logger for request errors. Default slog.Default().
	Logger *slog.Logger
	// Registry receives the server's metrics. Default a new registry.
	Registry *metrics.Registry
	// Pprof serves Go's profiler under /debug/pprof/ (off by default).
	Pprof bool
}

// New returns the server's root handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = metrics.NewRegistry()
	}
	requests := cfg.Registry.NewCounterVec("herald_sqs_requests_total", "SQS requests by action, protocol and error code.", "action", "protocol", "code")
	latency := cfg.Registry.NewHistogramVec("herald_sqs_request_duration_seconds", "SQS request latency by action.",
		[]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 21}, "action")
	registerQueueGauges(cfg.Registry, cfg.Engine)
	sqs := sqsapi.New(sqsapi.Config{
		Engine:    cfg.Engine,
		Account:   cfg.Account,
		PublicURL: cfg.PublicURL,
		Logger:    cfg.Logger,
		Observe: func(action string, p sqsapi.Protocol, code string, d time.Duration) {
			proto := "query"
			if p == sqsapi.ProtocolJSON {
				proto = "json"
			}
			requests.Add(1, action, proto, code)
			latency.Observe(d.Seconds(), action)
		},
	})
	return routes(sqs, cfg.Registry, cfg.Pprof)
}

func registerQueueGauges(reg *metrics.Registry, e *queue.Engine) {
	reg.NewGaugeFunc("herald_queue_messages", "Messages per queue by state (visible, inflight, delayed).", []string{"queue", "state"},
		func(emit func(float64, ...string)) {
			for _, q := range e.AllQueues() {
				vis, inflight, delayed := q.Counts()
				emit(float64(vis), q.Name(), "visible")
				emit(float64(inflight), q.Name(), "inflight")
				emit(float64(delayed), q.Name(), "delayed")
			}
		})
}
