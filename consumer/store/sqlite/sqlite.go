// Package sqlite is a consumer.Store kept in one SQLite database file, using
// the pure-Go driver modernc.org/sqlite: the embedded deduplication and
// ordering state of a single listener (or of a few listeners on one
// machine sharing the file).
//
// # Durability
//
// The database runs in WAL mode. By default synchronous=NORMAL: a commit
// writes its pages to the WAL with write(2) before the call returns, but
// does not fsync; the WAL is fsynced at checkpoints. A call that returned
// nil therefore survives a crash of the process (kill -9, a panic, the OOM
// killer), which is what the consumer needs: the operating system keeps the
// written pages. A power loss or kernel crash may lose the last commits
// (never corrupt the file); for the consumer that means a few events may be
// delivered twice, which at-least-once delivery allows. Options.FullSync
// (synchronous=FULL) fsyncs every commit and survives those too, at the
// price of one fsync per transaction.
//
// # Throughput
//
// Every write (Claim, Complete, Release, Extend, Purge) goes through one
// writer goroutine that owns one connection and merges the calls pending at
// the moment into one transaction (group commit): while it commits a group,
// the next one gathers. Calls keep their order and their own semantics; a
// group that fails fails every call in it, and none of them is applied
// (the queue and the writer's loop are internal/groupcommit's).
// In BenchmarkClaimComplete (16 goroutines, batches of 10 keys) group
// commit gives about 1.5-1.7 times the throughput of a transaction per
// call, on one core. Versions reads on separate connections and never
// waits for the writer.
//
// Deduplication keys are random, so each key costs a write of its own
// page of the table that holds it: the write volume, not the SQL, bounds
// throughput. Live claims therefore sit in a small table of their own,
// whose few pages every transaction rewrites anyway, and only completed
// keys go to the large one: one random page write per key instead of two.
//
// Times (lease expiry, completion) are this process's clock in Unix
// nanoseconds.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/groupcommit"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("sqlite: store closed")

// Options configure a Store. The zero value is valid.
type Options struct {
	// FullSync sets synchronous=FULL: every commit is fsynced, so a call
	// that returned nil survives a power loss, not only a process crash.
	// Default false (synchronous=NORMAL; see the package doc).
	FullSync bool
	// MaxGroup caps the calls merged into one transaction. 1 disables
	// group commit (one transaction per call). Default 512.
	MaxGroup int
	// ReadConns is the number of connections that serve Versions.
	// Default 4.
	ReadConns int
	// CacheSizeKiB is SQLite's page cache per connection. Default 16384
	// (16 MiB).
	CacheSizeKiB int
	// BusyTimeout is how long a transaction waits for another process
	// holding the database's write lock. Default 10s.
	BusyTimeout time.Duration
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	switch {
	case o.MaxGroup < 0:
		return fmt.Errorf("sqlite: MaxGroup %d is negative", o.MaxGroup)
	case o.ReadConns < 0:
		return fmt.Errorf("sqlite: ReadConns %d is negative", o.ReadConns)
	case o.CacheSizeKiB < 0:
		return fmt.Errorf("sqlite: CacheSizeKiB %d is negative", o.CacheSizeKiB)
	case o.BusyTimeout < 0:
		return fmt.Errorf("sqlite: BusyTimeout %v is negative", o.BusyTimeout)
	}
	return nil
}

func (o *Options) setDefaults() {
	if o.MaxGroup == 0 {
		o.MaxGroup = 512
	}
	if o.ReadConns == 0 {
		o.ReadConns = 4
	}
	if o.CacheSizeKiB == 0 {
		o.CacheSizeKiB = 16 << 10
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 10 * time.Second
	}
}

// Stats are counters since Open.
type Stats struct {
	Transactions uint64 // write transactions committed
	Failed       uint64 // write transactions rolled back after an error
	Calls        uint64 // write calls committed (Claim, Complete, ...)
	Waiting      int64  // write calls made and not yet answered, now
}

// Store is a consumer.Store backed by SQLite. Its methods are safe for
// concurrent use.
type Store struct {
	db *sql.DB
	w  *writer
	q  *groupcommit.Queue[*request] // write calls, served by the writer goroutine

	closeOnce sync.Once
	closeErr  error

	transactions, failed, calls atomic.Uint64
}

var _ consumer.Store = (*Store)(nil)

// Open opens or creates the database at path, brings its schema up to date
// and starts the writer. Close the Store when done. Several Stores (in one
// process or several) may open the same file; they then take turns at the
// write lock.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.setDefaults()
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", opts.CacheSizeKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	// The writer checkpoints (copies the WAL into the database file and
	// fsyncs both) when the WAL reaches 8000 pages (32 MiB) instead of
	// SQLite's 1000: a checkpoint stalls every writer, and the fewer there
	// are, the fewer copies of pages rewritten in between.
	q.Add("_pragma", "wal_autocheckpoint(8000)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Add("_journal_mode", "WAL")
	if opts.FullSync {
		q.Add("_synchronous", "FULL")
	} else {
		q.Add("_synchronous", "NORMAL")
	}
	db, err := sql.Open("sqlite", "file:"+strings.ReplaceAll(path, "?", "%3f")+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// The writer's connection and the readers'.
	db.SetMaxOpenConns(1 + opts.ReadConns)
	db.SetMaxIdleConns(1 + opts.ReadConns)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	s := &Store{db: db, q: groupcommit.New(groupcommit.Policy[*request]{MaxWeight: opts.MaxGroup}, ErrClosed)}
	if s.w, err = s.init(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	go s.q.Run(s.commit)
	return s, nil
}

func (s *Store) init(ctx context.Context) (*writer, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		_ = conn.Close()
		return nil, fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	if err := migrate(ctx, conn); err != nil {
		_ = conn.Close()
		return nil, err
	}
	w, err := newWriter(ctx, conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return w, nil
}

// Claim implements consumer.Store. It returns an error for an empty owner
// or a lease that is not positive, ErrClosed after Close, ctx's error if
// ctx ends before the writer took the call (nothing is then claimed), or
// the transaction's error.
func (s *Store) Claim(ctx context.Context, owner string, lease time.Duration, keys []string) ([]consumer.ClaimState, error) {
	if err := checkOwner(owner); err != nil {
		return nil, err
	}
	if lease <= 0 {
		return nil, fmt.Errorf("sqlite: claim: lease %v is not positive", lease)
	}
	r := &request{kind: opClaim, owner: owner, lease: lease, keys: keys, states: make([]consumer.ClaimState, len(keys))}
	if err := s.do(ctx, r); err != nil {
		return nil, fmt.Errorf("sqlite: claim: %w", err)
	}
	return r.states, nil
}

// Complete implements consumer.Store. Completing a key that is already
// done keeps its first completion time.
func (s *Store) Complete(ctx context.Context, owner string, keys []string, versions []consumer.EntityVersion) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if err := s.do(ctx, &request{kind: opComplete, owner: owner, keys: keys, versions: versions}); err != nil {
		return fmt.Errorf("sqlite: complete: %w", err)
	}
	return nil
}

// Release implements consumer.Store.
func (s *Store) Release(ctx context.Context, owner string, keys []string) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if err := s.do(ctx, &request{kind: opRelease, owner: owner, keys: keys}); err != nil {
		return fmt.Errorf("sqlite: release: %w", err)
	}
	return nil
}

// Extend implements consumer.Store. A claim whose lease already expired is
// not revived, even when nobody took it over.
func (s *Store) Extend(ctx context.Context, owner string, lease time.Duration, keys []string) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if lease <= 0 {
		return fmt.Errorf("sqlite: extend: lease %v is not positive", lease)
	}
	if err := s.do(ctx, &request{kind: opExtend, owner: owner, lease: lease, keys: keys}); err != nil {
		return fmt.Errorf("sqlite: extend: %w", err)
	}
	return nil
}

// purgeChunk caps the rows one Purge transaction deletes, so that a large
// purge never holds the writer for long.
const purgeChunk = 2000

// Purge implements consumer.Store. It deletes in transactions of at most a
// few thousand keys, between which other calls proceed; when it fails, the
// keys of the chunks before the failure stay removed.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		r := &request{kind: opPurge, before: unixNano(before), limit: purgeChunk}
		if err := s.do(ctx, r); err != nil {
			return total, fmt.Errorf("sqlite: purge: %w", err)
		}
		total += r.n
		if r.n < purgeChunk {
			return total, nil
		}
	}
}

// Versions implements consumer.Store. It reads the last committed state on
// a connection of its own.
func (s *Store) Versions(ctx context.Context, entities []string) (map[string]int64, error) {
	out := make(map[string]int64, len(entities))
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if len(entities) == 0 {
		return out, nil
	}
	list, err := json.Marshal(entities)
	if err != nil {
		return nil, fmt.Errorf("sqlite: versions: %w", err)
	}
	rows, err := s.db.QueryContext(ctx,
		"SELECT entity, version FROM versions WHERE entity IN (SELECT value FROM json_each(?1))", string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		var v int64
		if err := rows.Scan(&e, &v); err != nil {
			return nil, fmt.Errorf("sqlite: versions: %w", err)
		}
		out[e] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: versions: %w", err)
	}
	return out, nil
}

// Stats returns counters since Open.
func (s *Store) Stats() Stats {
	return Stats{
		Transactions: s.transactions.Load(),
		Failed:       s.failed.Load(),
		Calls:        s.calls.Load(),
		Waiting:      s.q.Waiting(),
	}
}

// Close waits for the calls already made to commit, stops the writer and
// closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.q.Close()
		s.closeErr = errors.Join(s.w.close(), s.db.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", s.closeErr)
		}
	})
	return s.closeErr
}

func (s *Store) checkOpen() error {
	if s.q.Closed() {
		return ErrClosed
	}
	return nil
}

func checkOwner(owner string) error {
	if owner == "" {
		return errors.New("sqlite: empty owner")
	}
	return nil
}

// unixNano is t in Unix nanoseconds, clamped to the int64 range (the zero
// time.Time is before it).
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// addSat is a+b, saturated at math.MaxInt64 (b is positive).
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
