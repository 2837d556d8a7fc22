// Package relay is the publisher's engine: it accepts events, matches them
// to subscriptions, stores each event with one delivery per matching
// subscription, and delivers them at least once, with retries, a circuit
// breaker per destination, dead deliveries and replay.
//
// A Relay runs on a store.Store: the embedded SQLite store for one
// instance, PostgreSQL for several instances sharing the work (each
// delivery is leased to one instance at a time, so two instances never
// make the same attempt at once). Deliveries leave through a Sender,
// normally a *deliver.Dispatcher.
//
// # Flow
//
// Publish validates events, stamps each with an id, matches it against the
// subscriptions of its tenant (kept in memory, refreshed from the store)
// and appends it with its deliveries in one store call. Run's workers
// claim due deliveries in batches, render each in its subscription's
// format, send a batch through the Sender and record every outcome:
// delivered; failed and due again after an exponential backoff with full
// jitter (at least as long as the destination's Retry-After); or dead after
// the retry budget or a permanent error. A destination that fails
// repeatedly trips its circuit breaker: its deliveries are held, without
// spending attempts, until a probe succeeds.
//
// A relay can also drain an application's transactional outbox (Outbox):
// events the application wrote in its own transactions are taken from its
// database and published, each exactly once into the store.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/deliver"
	"github.com/herald-dev/herald/publisher/store"
)

// Sender sends rendered notifications; *deliver.Dispatcher is one.
type Sender interface {
	Send(ctx context.Context, jobs []*deliver.Job) []deliver.Result
}

// Config configures a Relay.
type Config struct {
	// Store keeps subscriptions, events and deliveries. Required.
	Store store.Store
	// Sender delivers notifications. Required to Run or Test.
	Sender Sender
	// Owner names this instance in delivery leases. Default
	// "<hostname>/<pid>/<random>".
	Owner string
	// Workers is the number of claim-send-record loops. Default 6.
	Workers int
	// Batch is the most deliveries a worker claims at once. Default 256.
	Batch int
	// Lease is how long a claimed delivery is reserved for this instance;
	// a send still running at its end is cancelled. Default 30s.
	Lease time.Duration
	// Poll is how often an idle worker looks for due deliveries when
	// nothing wakes it (a Publish in this process wakes it at once).
	// Default 250ms.
	Poll time.Duration
	// Retry is the retry budget and backoff.
	Retry RetryPolicy
	// Breaker configures the per-destination circuit breaker.
	Breaker BreakerPolicy
	// DestinationConcurrency caps the requests in flight to one
	// destination (queue, topic, endpoint, Kafka topic): one webhook, or
	// one SQS or SNS batch of up to 10 notifications, or one Kafka produce
	// of up to 100 records. Default 64.
	DestinationConcurrency int
	// DestinationRate, when positive, caps notifications per second to
	// one destination; deliveries over the rate wait for their turn.
	DestinationRate float64
	// Refresh is how often the subscription cache is reloaded from the
	// store, so that changes made by other instances are seen. Changes
	// made through this Relay are seen at once. Default 2s.
	Refresh time.Duration
	// OnAttempt, when set, is called after every attempt (for metrics).
	OnAttempt func(AttemptInfo)
	// Logger. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// RetryPolicy is a delivery's retry budget.
type RetryPolicy struct {
	// MaxAttempts is the most attempts a delivery gets before it is dead.
	// Default 10.
	MaxAttempts int
	// Base and Max bound the backoff: before attempt n+1 the relay waits
	// a random time in [0, min(Max, Base·2^(n-1))]. Defaults 1s and 10m.
	Base, Max time.Duration
}

// AttemptInfo describes one attempt, for OnAttempt.
type AttemptInfo struct {
	// Destination is the destination's kind ("sqs", "sns", "https",
	// "kafka").
	Destination string
	Outcome     store.Outcome
	// Duration is how long the send took.
	Duration time.Duration
	// Latency is the time from the event's acceptance to this attempt's
	// end (for Delivered, the event-to-destination latency).
	Latency time.Duration
}

// Relay is the publisher engine. Create one with New; its methods are safe
// for concurrent use.
type Relay struct {
	cfg   Config
	st    store.Store
	log   *slog.Logger
	owner string

	subs     *subCache
	breakers *breakers
	stats    Stats

	wake chan struct{}

	runMu   sync.Mutex
	running bool
}

// New returns a Relay and loads the subscriptions.
func New(ctx context.Context, cfg Config) (*Relay, error) {
	if cfg.Store == nil {
		return nil, errors.New("relay: Config.Store is required")
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), publisher.NewID()[24:])
	}
	setDefault(&cfg.Workers, 6)
	setDefault(&cfg.Batch, 256)
	setDefault(&cfg.Lease, 30*time.Second)
	setDefault(&cfg.Poll, 250*time.Millisecond)
	setDefault(&cfg.Retry.MaxAttempts, 10)
	setDefault(&cfg.Retry.Base, time.Second)
	setDefault(&cfg.Retry.Max, 10*time.Minute)
	setDefault(&cfg.Breaker.Failures, 5)
	setDefault(&cfg.Breaker.Cooldown, 30*time.Second)
	setDefault(&cfg.DestinationConcurrency, 64)
	setDefault(&cfg.Refresh, 2*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Relay{
		cfg:      cfg,
		st:       cfg.Store,
		log:      cfg.Logger,
		owner:    cfg.Owner,
		subs:     newSubCache(),
		breakers: newBreakers(cfg.Breaker, cfg.DestinationConcurrency, cfg.DestinationRate),
		wake:     make(chan struct{}, 1),
	}
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

func setDefault[T int | float64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Owner returns the name this instance leases deliveries under.
func (r *Relay) Owner() string { return r.owner }

// Store returns the relay's store.
func (r *Relay) Store() store.Store { return r.st }

// Run delivers until ctx ends, then waits for the attempts in flight to be
// recorded (they are cancelled and released, not lost) and returns nil.
// Run may be called once.
func (r *Relay) Run(ctx context.Context) error {
	if r.cfg.Sender == nil {
		return errors.New("relay: Config.Sender is required to run")
	}
	r.runMu.Lock()
	if r.running {
		r.runMu.Unlock()
		return errors.New("relay: already running")
	}
	r.running = true
	r.runMu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() { r.refreshLoop(ctx) })
	for range r.cfg.Workers {
		wg.Go(func() { r.worker(ctx) })
	}
	r.log.Info("publisher relay running", "owner", r.owner, "workers", r.cfg.Workers, "batch", r.cfg.Batch)
	wg.Wait()
	return nil
}

// notify wakes idle workers.
func (r *Relay) notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Relay) refreshLoop(ctx context.Context) {
	t := time.NewTicker(r.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.reload(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("publisher: reloading subscriptions", "err", err)
			}
		}
	}
}
