// Package topic is Herald's SNS domain: topics, subscriptions, filter
// policies, publishing and fan-out. It knows nothing of the wire
// (internal/snsapi serves it) and persists through the queue engine's
// store as opaque records, so that a publish and its deliveries to SQS
// queues commit in one transaction.
//
// Deliveries to SQS subscriptions are made inside the publish: when Publish
// returns, the messages are durable in their queues. Deliveries to HTTP(S)
// endpoints are written as pending delivery records in that same
// transaction and made afterwards by a scheduler with per-subscription
// concurrency, retried by the subscription's delivery policy and moved to
// its dead-letter queue when exhausted. Pending deliveries survive a
// restart.
//
// Lock order: Engine.mu, then Topic.mu; the scheduler's lock is never held
// with either.
package topic

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/snsmsg"
)

// Options configure an Engine.
type Options struct {
	// Queues is the SQS engine: SQS subscriptions deliver into it and this
	// package's records live in its store. Required.
	Queues *queue.Engine
	// Signer signs notifications and confirmations. Required.
	Signer *snsmsg.Signer
	// BaseURL is where clients and endpoints reach this server, e.g.
	// http://127.0.0.1:9324: the base of SubscribeURL, UnsubscribeURL and
	// SigningCertURL. Required.
	BaseURL string
	// Account owns topics. Default 000000000000.
	Account string
	// Region appears in ARNs. Default us-east-1.
	Region string
	// Poster makes HTTP(S) deliveries. Default: an HTTP client with a
	// 15-second timeout per attempt.
	Poster Poster
	// MaxDeliveries bounds concurrent HTTP(S) delivery attempts. Default 128.
	MaxDeliveries int
	// PerSubscription bounds concurrent attempts to one subscription, so
	// that a slow endpoint cannot take every worker. Default 16.
	PerSubscription int
	// Logger receives background errors. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// AuthorizeSQS, when set, decides whether a topic may deliver into a
	// queue (the queue's policy, as in AWS); a refused delivery goes to the
	// subscription's dead-letter queue (if that one allows it) or is
	// dropped and counted. Nil allows every delivery.
	AuthorizeSQS func(topicArn string, q *queue.Queue) error
}

// Stats are counters for metrics.
type Stats struct {
	Published         atomic.Uint64 // messages accepted by Publish / PublishBatch
	DeliveredSQS      atomic.Uint64
	DeliveredHTTP     atomic.Uint64
	FailedAttempts    atomic.Uint64 // HTTP attempts that failed and will be retried or dead-lettered
	DeadLettered      atomic.Uint64
	Dropped           atomic.Uint64 // deliveries that could not be made and had no dead-letter queue
	Filtered          atomic.Uint64 // deliveries skipped by a filter policy
	PendingDeliveries atomic.Int64
}

// Engine owns every topic and subscription.
type Engine struct {
	opts    Options
	queues  *queue.Engine
	signer  *snsmsg.Signer
	log     *slog.Logger
	now     func() time.Time
	certURL string
	Stats   Stats

	mu     sync.RWMutex
	topics map[string]*Topic        // by ARN
	subs   map[string]*Subscription // by ARN
	seq    int64                    // creation order of topics and subscriptions

	sched *scheduler
}

// Open loads topics, subscriptions and pending deliveries from the queue
// engine's records and starts delivering.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Queues == nil || opts.Signer == nil || opts.BaseURL == "" {
		return nil, fmt.Errorf("topic: Options.Queues, Signer and BaseURL are required")
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Poster == nil {
		opts.Poster = NewHTTPPoster(15 * time.Second)
	}
	if opts.MaxDeliveries <= 0 {
		opts.MaxDeliveries = 128
	}
	if opts.PerSubscription <= 0 {
		opts.PerSubscription = 16
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	e := &Engine{
		opts:    opts,
		queues:  opts.Queues,
		signer:  opts.Signer,
		log:     opts.Logger,
		now:     opts.Now,
		certURL: opts.BaseURL + "/" + opts.Signer.CertName(),
		topics:  map[string]*Topic{},
		subs:    map[string]*Subscription{},
	}
	e.sched = newScheduler(e)
	var deliveries []*deliveryRecord
	nowMs := e.now().UnixMilli()
	var stale []queue.Op
	for _, r := range opts.Queues.TakeRecords() {
		var err error
		switch r.Kind {
		case kindTopic:
			var rec topicRecord
			if err = json.Unmarshal(r.Value, &rec); err == nil {
				e.topics[rec.Arn] = newTopic(rec)
				e.seq = max(e.seq, rec.Seq)
			}
		case kindSub:
			var rec subRecord
			if err = json.Unmarshal(r.Value, &rec); err == nil {
				var s *Subscription
				if s, err = newSubscription(rec); err == nil {
					s.sem = make(chan struct{}, opts.PerSubscription)
					e.subs[rec.Arn] = s
					e.seq = max(e.seq, rec.Seq)
				}
			}
		case kindDelivery:
			var rec deliveryRecord
			if err = json.Unmarshal(r.Value, &rec); err == nil {
				deliveries = append(deliveries, &rec)
			}
		case kindDedup:
			var rec dedupRecord
			if err = json.Unmarshal(r.Value, &rec); err == nil {
				arn, id, _ := strings.Cut(r.Key, "\x00")
				if rec.ExpiresAt <= nowMs {
					stale = append(stale, deleteRecord(kindDedup, r.Key))
				} else if t := e.topics[arn]; t != nil {
					t.dedup[id] = rec
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("topic: load %s %q: %w", r.Kind, r.Key, err)
		}
	}
	for _, s := range e.subs {
		if t := e.topics[s.rec.TopicArn]; t != nil {
			t.subs = append(t.subs, s)
		}
	}
	for _, t := range e.topics {
		t.sortSubs()
	}
	if err := opts.Queues.ApplyRecords(ctx, stale); err != nil {
		return nil, fmt.Errorf("topic: removing expired deduplication records: %w", err)
	}
	e.sched.start(deliveries)
	return e, nil
}

// Close stops delivering and waits for attempts in progress. Pending
// deliveries stay in the store for the next Open. Safe to call twice.
func (e *Engine) Close() { e.sched.stop() }

// Account returns the account that owns topics.
func (e *Engine) Account() string { return e.opts.Account }

// Region returns the region in ARNs.
func (e *Engine) Region() string { return e.opts.Region }

// CertName is the path (under BaseURL) where the signing certificate is
// served.
func (e *Engine) CertName() string { return e.signer.CertName() }

// CertPEM is the signing certificate.
func (e *Engine) CertPEM() []byte { return e.signer.CertPEM() }

func (e *Engine) nextSeq() int64 {
	e.seq++
	return e.seq
}
