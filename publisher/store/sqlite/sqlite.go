// Package sqlite is the publisher's embedded store.Store: one SQLite
// database file, through the pure-Go driver modernc.org/sqlite. It suits a
// single publisher instance (several instances share work through
// publisher/store/postgres).
//
// # Durability
//
// The database runs in WAL mode, by default with synchronous=NORMAL: every
// commit is written to the WAL with write(2) before the call that made it
// returns, and the WAL is fsynced at checkpoints. A call that returned nil
// therefore survives a crash of the process (kill -9, a panic, the OOM
// killer): the operating system holds the written pages. A power loss or a
// kernel crash may lose the last commits, never corrupt the file; an
// application whose events must survive those sets Options.FullSync
// (synchronous=FULL), which fsyncs the WAL at every commit.
//
// # Group commit
//
// Every write call (CreateSubscription, UpdateSubscription,
// DeleteSubscription, Append, Enqueue, Claim, Finish) goes to one writer
// goroutine, which owns the only write connection. It takes all the calls
// waiting at that moment (up to Options.MaxGroup) and runs them in one
// transaction, in arrival order, while the next group gathers: one commit
// (one write(2) of the WAL, one fsync with FullSync) serves many calls.
// The queue and the writer's loop are internal/groupcommit's.
//
// Each call in a group runs inside a SAVEPOINT of its own. A call that
// fails (a duplicate event id, an unknown subscription, ...) is rolled back
// to its savepoint and answered with its error; the calls before and after
// it in the group are unaffected and commit. Only a failure of the
// transaction itself (BEGIN or COMMIT, a full disk) fails every call of
// the group, none of which is then applied. A call is applied when it
// returns nil, and its effects are visible to the calls after it.
//
// Reads (GetSubscription, ListSubscriptions, GetEvent, ListEvents,
// GetDelivery, ListDeliveries, Attempts, Stats) run on a pool of separate
// read connections and see the last committed state; they never wait for
// the writer.
//
// # Time
//
// Times are stored as Unix nanoseconds, so they come back exactly as given
// (in UTC). The store stamps CreatedAt, UpdatedAt and DeliveredAt of
// deliveries with this process's clock; Claim compares due times and
// leases with the now it is given.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-dev/herald/internal/groupcommit"
	"github.com/herald-dev/herald/internal/sqlitewal"
	"github.com/herald-dev/herald/publisher/store"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Options configure a Store. The zero value is valid.
type Options struct {
	// FullSync sets synchronous=FULL: every commit is fsynced, so a call
	// that returned nil survives a power loss as well as a process crash.
	// Default false: synchronous=NORMAL (see the package doc).
	FullSync bool
	// MaxGroup caps the write calls merged into one transaction; 1 turns
	// group commit off. Default 256.
	MaxGroup int
	// ReadConns is the number of read connections. Default 4.
	ReadConns int
	// CacheSizeKiB is SQLite's page cache per connection. Default 32768
	// (32 MiB).
	CacheSizeKiB int
	// BusyTimeout is how long a transaction waits for another process that
	// holds the write lock. Default 10s.
	BusyTimeout time.Duration
	// ReleaseLeases voids, at Open, every lease on a pending delivery:
	// they are due again at once. Set it when the database belongs to one
	// process at a time (herald serve's data directory), so that deliveries
	// a killed process had claimed need not wait for their leases to run
	// out. Never set it while another process may be delivering from the
	// same file.
	ReleaseLeases bool
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

func (o Options) withDefaults() Options {
	if o.MaxGroup == 0 {
		o.MaxGroup = 256
	}
	if o.ReadConns == 0 {
		o.ReadConns = 4
	}
	if o.CacheSizeKiB == 0 {
		o.CacheSizeKiB = 32 << 10
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 10 * time.Second
	}
	return o
}

// Counters are the writer's figures since Open.
type Counters struct {
	Transactions uint64 // write transactions committed
	Calls        uint64 // write calls answered (applied or failed alone)
	Failed       uint64 // write calls that failed
}

// Store is a store.Store in one SQLite database. Its methods are safe for
// concurrent use.
type Store struct {
	db *sql.DB
	w  *writer
	q  *groupcommit.Queue[*request] // write calls, served by the writer goroutine
	ck *sqlitewal.Checkpointer

	closeOnce sync.Once
	closeErr  error

	transactions, calls, failed atomic.Uint64
}

var _ store.Store = (*Store)(nil)

// Open opens the database at path, creating it if needed, brings its
// schema up to date and starts the writer. Close the Store when done.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", opts.CacheSizeKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoints: a sqlitewal.Checkpointer copies the WAL back from a
	// read connection beside the writer, so that the writer's own
	// automatic checkpoint, every 4000 pages, has little left to copy
	// when it comes due (it once stalled every waiting call for about
	// 70 ms) and still rewinds the WAL.
	q.Add("_pragma", "wal_autocheckpoint(4000)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Add("_journal_mode", "WAL")
	if opts.FullSync {
		q.Add("_synchronous", "FULL")
	} else {
		q.Add("_synchronous", "NORMAL")
	}
	dsn := "file:" + strings.ReplaceAll(path, "?", "%3f") + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1 + opts.ReadConns)
	db.SetMaxIdleConns(1 + opts.ReadConns)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	s := &Store{db: db, q: groupcommit.New(groupcommit.Policy[*request]{MaxWeight: opts.MaxGroup}, errClosed)}
	if s.w, err = startWriter(ctx, db, opts.ReleaseLeases); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	go s.q.Run(s.commit)
	s.ck = sqlitewal.Start(db)
	return s, nil
}

// startWriter takes the write connection, checks WAL mode, migrates the
// schema and prepares the writer's statements.
func startWriter(ctx context.Context, db *sql.DB, releaseLeases bool) (*writer, error) {
	conn, err := db.Conn(ctx)
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
		return nil, fmt.Errorf("journal mode is %q, want wal", mode)
	}
	if err := migrate(ctx, conn); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if releaseLeases {
		if _, err := conn.ExecContext(ctx, `UPDATE deliveries SET due_at = next_at, lease_owner = NULL, lease_until = NULL
			WHERE state = 'pending' AND lease_owner IS NOT NULL`); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("releasing leases: %w", err)
		}
	}
	w, err := newWriter(ctx, conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return w, nil
}

// Counters returns the writer's figures since Open.
func (s *Store) Counters() Counters {
	return Counters{Transactions: s.transactions.Load(), Calls: s.calls.Load(), Failed: s.failed.Load()}
}

// Close lets the write calls already made finish, stops the writer and
// closes the database. Every method called afterwards returns an error
// wrapping store.ErrClosed. Close may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.q.Close()
		s.ck.Stop()
		if err := errors.Join(s.w.close(), s.db.Close()); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}

var errClosed = fmt.Errorf("sqlite: %w", store.ErrClosed)

func (s *Store) checkOpen() error {
	if s.q.Closed() {
		return errClosed
	}
	return nil
}

// toNS converts t to Unix nanoseconds: 0 for the zero time, clamped to
// the int64 range otherwise.
func toNS(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNS is the inverse of toNS: 0 is the zero time, others are UTC.
func fromNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// addSat is a+b for b >= 0, saturated at math.MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
