// Package queue is Herald's SQS domain engine: queues, messages, visibility
// timeouts, delays, FIFO message groups and deduplication, dead-letter
// redrive, message move tasks and long-poll waiters. It knows nothing of HTTP
// or SQL: the wire adapters call it, and it persists every change through a
// Store before acknowledging it.
//
// Lock order: Engine.mu before Queue.mu; never two Queue.mu at once (work
// that spans queues, such as dead-lettering, releases one before taking the
// other and persists both sides in one Store.Apply).
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-dev/herald/internal/uuid"
)

// Options configure an Engine.
type Options struct {
	// Store persists state. Required.
	Store Store
	// Region appears in queue ARNs. Default us-east-1.
	Region string
	// Logger receives background errors. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// SweepInterval is how often expired messages and deduplication records
	// are removed. Default 10s.
	SweepInterval time.Duration
	// MaxQueues, when positive, caps the queues of all accounts together;
	// CreateQueue beyond it fails with OverLimit.
	MaxQueues int
}

// Engine owns all queues.
type Engine struct {
	maxQueues int
	store     Store
	region    string
	log       *slog.Logger
	now       func() time.Time

	mu      sync.RWMutex
	queues  map[string]*Queue // by account + "/" + name
	byID    map[int64]*Queue
	deleted map[string]time.Time // recently deleted queue keys

	nextQueueID atomic.Int64
	nextSeq     atomic.Int64

	tasks *taskRegistry

	records []Record // loaded for another owner; see TakeRecords

	stop     chan struct{}
	stopOnce sync.Once
	closing  bool // set under mu by Close: no new background work
	wg       sync.WaitGroup
}

// Open loads state from the store and starts background sweeping.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("queue: Options.Store is required")
	}
	e := &Engine{
		maxQueues: opts.MaxQueues,
		store:     opts.Store,
		region:    opts.Region,
		log:       opts.Logger,
		now:       opts.Now,
		queues:    map[string]*Queue{},
		byID:      map[int64]*Queue{},
		deleted:   map[string]time.Time{},
		stop:      make(chan struct{}),
	}
	if e.region == "" {
		e.region = "us-east-1"
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.tasks = newTaskRegistry(e)
	snap, err := e.store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue: load: %w", err)
	}
	e.records = snap.Records
	e.nextQueueID.Store(snap.NextID)
	e.nextSeq.Store(snap.NextSeq)
	for i := range snap.Queues {
		q := newQueue(e, snap.Queues[i])
		e.queues[key(q.rec.Account, q.rec.Name)] = q
		e.byID[q.rec.ID] = q
	}
	now := e.now()
	orphans := map[int64][]int64{}
	for i := range snap.Messages {
		r := snap.Messages[i]
		q := e.byID[r.QueueID]
		if q == nil {
			// Left by a deleted queue (a crash before its messages were
			// all deleted, or a send that raced DeleteQueue).
			orphans[r.QueueID] = append(orphans[r.QueueID], r.Seq)
			continue
		}
		q.restore(r, now)
	}
	for id, seqs := range orphans {
		if err := e.deleteMessages(ctx, id, seqs, 0); err != nil {
			return nil, fmt.Errorf("queue: removing orphaned messages: %w", err)
		}
	}
	for _, d := range snap.Dedup {
		if q := e.byID[d.QueueID]; q != nil {
			q.dedup[d.Key] = dedupEntry{messageID: d.MessageID, seq: d.Seq, expiresAt: d.ExpiresAt}
		}
	}
	interval := opts.SweepInterval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	e.wg.Add(1)
	go e.sweepLoop(interval)
	return e, nil
}

// Close stops background work and wakes every long poll. It does not close
// the store. Safe to call twice.
func (e *Engine) Close() {
	e.stopOnce.Do(func() {
		e.mu.Lock()
		e.closing = true
		e.mu.Unlock()
		close(e.stop)
		e.tasks.stopAll()
		e.mu.RLock()
		for _, q := range e.queues {
			q.mu.Lock()
			q.wakeAll()
			q.mu.Unlock()
		}
		e.mu.RUnlock()
	})
	e.wg.Wait()
}

// Region returns the engine's region.
func (e *Engine) Region() string { return e.region }

func key(account, name string) string { return account + "/" + name }

// Queue returns the queue named name in account, or QueueDoesNotExist.
func (e *Engine) Queue(account, name string) (*Queue, error) {
	e.mu.RLock()
	q := e.queues[key(account, name)]
	e.mu.RUnlock()
	if q == nil {
		return nil, errNoQueue()
	}
	return q, nil
}

// QueueByArn returns the queue with the given ARN.
func (e *Engine) QueueByArn(arn string) (*Queue, error) {
	a, err := parseArn(arn)
	if err != nil {
		return nil, err
	}
	return e.Queue(a.account, a.name)
}

// Queues returns the queues of account whose names start with prefix, sorted
// by name.
func (e *Engine) Queues(account, prefix string) []*Queue {
	e.mu.RLock()
	var out []*Queue
	for _, q := range e.queues {
		if q.rec.Account == account && len(q.rec.Name) >= len(prefix) && q.rec.Name[:len(prefix)] == prefix {
			out = append(out, q)
		}
	}
	e.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].rec.Name < out[j].rec.Name })
	return out
}

// apply persists ops that describe a change already made in memory, so it
// does not give up when the request's context ends: a delete acknowledged
// to nobody must still reach the disk. Sends, which are rolled back in
// memory on failure, use applyCancelable.
func (e *Engine) apply(ctx context.Context, ops []Op) error {
	return e.applyCancelable(context.WithoutCancel(ctx), ops)
}

func (e *Engine) applyCancelable(ctx context.Context, ops []Op) error {
	if len(ops) == 0 {
		return nil
	}
	if err := e.store.Apply(ctx, ops); err != nil {
		if errors.Is(err, ErrStorageFull) {
			return &Error{Code: ErrServiceUnavailable, Message: "The server's storage is full; nothing was changed. Retry later.", Err: err}
		}
		return &Error{Code: ErrInternal, Message: "We encountered an internal error. Please try again.", Err: err}
	}
	return nil
}

func (e *Engine) sweepLoop(interval time.Duration) {
	defer e.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.Sweep(context.Background())
		}
	}
}

// Sweep removes messages past their retention period and expired FIFO
// deduplication records from every queue.
func (e *Engine) Sweep(ctx context.Context) {
	e.mu.Lock()
	qs := make([]*Queue, 0, len(e.queues))
	for _, q := range e.queues {
		qs = append(qs, q)
	}
	for k, t := range e.deleted {
		if e.now().Sub(t) > time.Minute {
			delete(e.deleted, k)
		}
	}
	e.mu.Unlock()
	for _, q := range qs {
		ops := q.sweep(e.now())
		if err := e.apply(ctx, ops); err != nil {
			e.log.Error("sweep failed", "queue", q.rec.Name, "err", err)
		}
	}
}

// newID returns a random RFC 4122 version 4 UUID string.
func newID() string { return uuid.NewV4() }

// AllQueues returns every queue of every account.
func (e *Engine) AllQueues() []*Queue {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*Queue, 0, len(e.queues))
	for _, q := range e.queues {
		out = append(out, q)
	}
	return out
}
