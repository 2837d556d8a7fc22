// Package server assembles Herald's HTTP surface: the SQS and SNS protocols
// on "/" (told apart by dispatch.go), the SNS signing certificate,
// Prometheus metrics on /metrics and a health check on /healthz.
package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/herald-dev/herald/internal/auth"
	"github.com/herald-dev/herald/internal/metrics"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/snsapi"
	"github.com/herald-dev/herald/internal/sqsapi"
	"github.com/herald-dev/herald/internal/topic"
)

// Config configures the server.
type Config struct {
	// Engine is the queue engine. Required.
	Engine *queue.Engine
	// Topics is the SNS engine. Optional: without it SNS requests are
	// answered as unknown SQS actions.
	Topics *topic.Engine
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
	// Publisher, when set, serves the publisher's API under /v1/.
	Publisher http.Handler
	// Access authenticates and authorizes SQS and SNS requests; nil
	// accepts every request as the account's root (--no-auth).
	Access *Access
	// MaxLongPolls caps concurrent SQS long polls (default
	// sqsapi.DefaultMaxLongPolls).
	MaxLongPolls int
}

// Access holds the authentication and authorization hooks of both
// protocols (see internal/access).
type Access struct {
	SQSAuthenticate, SNSAuthenticate auth.Authenticator
	SQSAuthorize                     func(c auth.Caller, action string, q *queue.Queue) error
	SNSAuthorize                     func(c auth.Caller, action, topicArn string) error
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
	var access Access
	if cfg.Access != nil {
		access = *cfg.Access
	}
	sqs := sqsapi.New(sqsapi.Config{
		Authenticate: access.SQSAuthenticate,
		Authorize:    access.SQSAuthorize,
		MaxLongPolls: cfg.MaxLongPolls,
		Engine:       cfg.Engine,
		Account:      cfg.Account,
		PublicURL:    cfg.PublicURL,
		Logger:       cfg.Logger,
		Observe: func(action string, p sqsapi.Protocol, code string, d time.Duration) {
			proto := "query"
			if p == sqsapi.ProtocolJSON {
				proto = "json"
			}
			requests.Add(1, action, proto, code)
			latency.Observe(d.Seconds(), action)
		},
	})
	cfg.Registry.NewGaugeFunc("herald_sqs_long_polls", "ReceiveMessage calls waiting for messages now.", nil, func(emit func(float64, ...string)) {
		emit(float64(sqs.LongPolls()))
	})
	var sns http.Handler
	if cfg.Topics != nil {
		snsRequests := cfg.Registry.NewCounterVec("herald_sns_requests_total", "SNS requests by action, protocol and error code.", "action", "protocol", "code")
		snsLatency := cfg.Registry.NewHistogramVec("herald_sns_request_duration_seconds", "SNS request latency by action.",
			[]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5}, "action")
		registerTopicMetrics(cfg.Registry, cfg.Topics)
		sns = snsapi.New(snsapi.Config{
			Authenticate: access.SNSAuthenticate,
			Authorize:    access.SNSAuthorize,
			Engine:       cfg.Topics,
			Logger:       cfg.Logger,
			Observe: func(action string, p snsapi.Protocol, code string, d time.Duration) {
				proto := "query"
				if p == snsapi.ProtocolJSON {
					proto = "json"
				}
				snsRequests.Add(1, action, proto, code)
				snsLatency.Observe(d.Seconds(), action)
			},
		})
	}
	return routes(sqs, sns, cfg.Publisher, cfg.Topics, cfg.Registry, cfg.Pprof)
}

func registerTopicMetrics(reg *metrics.Registry, e *topic.Engine) {
	st := &e.Stats
	for _, c := range []struct {
		name, help string
		v          func() float64
	}{
		{"herald_sns_published_total", "Messages accepted by Publish and PublishBatch.", func() float64 { return float64(st.Published.Load()) }},
		{"herald_sns_delivered_sqs_total", "Deliveries into SQS queues.", func() float64 { return float64(st.DeliveredSQS.Load()) }},
		{"herald_sns_delivered_http_total", "Deliveries accepted by HTTP(S) endpoints.", func() float64 { return float64(st.DeliveredHTTP.Load()) }},
		{"herald_sns_failed_attempts_total", "HTTP(S) delivery attempts that failed.", func() float64 { return float64(st.FailedAttempts.Load()) }},
		{"herald_sns_dead_lettered_total", "Deliveries moved to a subscription's dead-letter queue.", func() float64 { return float64(st.DeadLettered.Load()) }},
		{"herald_sns_dropped_total", "Deliveries given up without a dead-letter queue.", func() float64 { return float64(st.Dropped.Load()) }},
		{"herald_sns_filtered_total", "Deliveries skipped by a filter policy.", func() float64 { return float64(st.Filtered.Load()) }},
		{"herald_sns_pending_deliveries", "HTTP(S) deliveries waiting for an attempt or a retry.", func() float64 { return float64(st.PendingDeliveries.Load()) }},
	} {
		v := c.v
		if strings.HasSuffix(c.name, "_total") {
			reg.NewCounterFunc(c.name, c.help, nil, func(emit func(float64, ...string)) { emit(v()) })
		} else {
			reg.NewGaugeFunc(c.name, c.help, nil, func(emit func(float64, ...string)) { emit(v()) })
		}
	}
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
