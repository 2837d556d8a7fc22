package consumer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// A Validator checks an event's decoded JSON (a JSON Schema, see package
// consumer/schema). A non-nil error is the validation failure, sent to
// quarantine with the event.
type Validator interface {
	Validate(doc any) error
}

// A Quarantine keeps events that can never be processed (invalid, or
// refused permanently by a sink) together with the reason: a directory, or
// a dead-letter queue. Quarantine returns nil only once the event is safely
// kept; an error leaves the message for redelivery.
type Quarantine interface {
	Quarantine(ctx context.Context, ev *Event, reason error) error
}

// Config configures a Pipeline. The zero value of each optional field means
// its documented default.
type Config struct {
	// Store keeps deduplication claims and entity versions. Required.
	Store Store
	// Owner names this pipeline's claims in the Store; several listeners
	// sharing one Store need distinct owners. Each Process call claims as
	// Owner/<n>, so concurrent batches exclude each other as well.
	// Default: host-pid-random.
	Owner string
	// Lease is how long a claim lives without renewal: a listener that dies
	// holding a key blocks a redelivery of it for at most this long. Claims
	// of events in progress are renewed every Lease/3. Default 2m.
	Lease time.Duration
	// BusyWait is how long an event whose key another listener is
	// processing waits for that listener to finish before the message is
	// left for redelivery. Default 10s.
	BusyWait time.Duration
	// Key builds each event's deduplication key from these parts, joined
	// with "|". Default: the notification's MessageId ($message_id).
	Key []KeyPart
	// Split, when set, selects the events in a message: the elements of the
	// array it selects (an "Events" array, an S3 "Records" array). Each is
	// validated, deduplicated, ordered and routed on its own. A message where
	// Split selects nothing holds no events and is acknowledged.
	Split Path
	// Schema, when set, validates each event; invalid events go to
	// Quarantine.
	Schema Validator
	// Entity and Version, when both set, order updates: an event whose
	// version is older than the newest version already applied to its
	// entity is dropped as stale. Versions are integers or timestamps.
	Entity, Version Path
	// Routes send events to sinks; the first matching route wins. Required:
	// at least one.
	Routes []Route
	// Quarantine keeps invalid and permanently refused events. Nil means
	// there is none: such events are logged and their messages left for the
	// queue's redrive policy (never dropped).
	Quarantine Quarantine
	// Concurrency bounds how many events of one Process call are delivered
	// at once. Default 16.
	Concurrency int
	// Logger receives the pipeline's logs. Default slog.Default().
	Logger *slog.Logger
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	if c.Store == nil {
		return errors.New("consumer: Config.Store is required")
	}
	if len(c.Routes) == 0 {
		return errors.New("consumer: at least one route is required")
	}
	if c.Entity.IsZero() != c.Version.IsZero() {
		return errors.New("consumer: ordering needs both an entity and a version path")
	}
	for i, r := range c.Routes {
		for _, s := range r.Sinks {
			if s.Sink == nil {
				return fmt.Errorf("consumer: route %d (%s): sink %q is nil", i, r.Name, s.Name)
			}
		}
	}
	if c.Owner == "" {
		c.Owner = defaultOwner()
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.BusyWait <= 0 {
		c.BusyWait = 10 * time.Second
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Pipeline is the consumer's processing: unwrap, split, validate,
// deduplicate, order, route, deliver. It implements Processor and is safe
// for concurrent use.
type Pipeline struct {
	cfg   Config
	log   *slog.Logger
	stats Stats
	locks entityLocks
	// batches numbers Process calls: each claims as Owner/<n>.
	batches atomic.Uint64
}

// NewPipeline returns a pipeline for cfg, or cfg's validation error.
func NewPipeline(cfg Config) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, log: cfg.Logger}, nil
}

// Stats returns the pipeline's live counters.
func (p *Pipeline) Stats() *Stats { return &p.stats }

// Owner is the name of this pipeline's claims in the store.
func (p *Pipeline) Owner() string { return p.cfg.Owner }

// Close closes every sink of every route once, and returns the first error.
// It does not close the Store.
func (p *Pipeline) Close() error {
	seen := map[Sink]bool{}
	var first error
	for _, r := range p.cfg.Routes {
		for _, s := range r.Sinks {
			if seen[s.Sink] {
				continue
			}
			seen[s.Sink] = true
			if err := s.Sink.Close(); err != nil && first == nil {
				first = fmt.Errorf("close sink %s: %w", s.Name, err)
			}
		}
	}
	return first
}
