// Package postgres is a store.Store kept in PostgreSQL, which several
// publisher instances (separate processes, on any number of machines)
// share: any instance may accept events and any may deliver them. It uses
// github.com/jackc/pgx/v5 over a small pool of connections of its own.
//
// The tables are prefixed herald_pub_, so that they can sit in an
// application's own database next to its tables and the consumer's
// herald_consumer_ ones, in a schema of their own (Options.Schema) or not.
// Open creates and migrates them under an advisory lock, so publishers
// starting together do not trip over each other.
//
// # Several instances
//
// Every call is one statement, or one pipelined batch of statements in one
// transaction, and relies on row locks rather than on anything held in a
// process:
//
//   - Append takes each entity's sequence numbers with one INSERT ... ON
//     CONFLICT DO UPDATE SET seq = seq + n RETURNING on a counter row per
//     entity. The row stays locked until the Append commits, so a
//     concurrent Append of the same entity, from any instance, waits and
//     then continues from the committed value: numbers are distinct and
//     only committed Appends consume them. Counter rows are locked in key
//     order, so Appends sharing several entities do not deadlock.
//   - Idempotency keys are inserted (ON CONFLICT DO NOTHING) before the
//     sequence numbers are taken: of two Appends with the same key, the
//     second waits for the first and, once it committed, stores nothing
//     for that event and answers with the first's event.
//   - Claim selects due deliveries FOR UPDATE SKIP LOCKED and leases them
//     in the same statement. A delivery another Claim is leasing is
//     skipped, one whose lease committed meanwhile is re-checked and no
//     longer qualifies, so no two owners hold a delivery while its lease
//     runs. Lease times come from the caller's clock (Claim's now).
//   - Per-entity order needs no lock: a delivery is claimable only while
//     no earlier pending delivery (by sequence, then id) of its
//     subscription and entity exists, and a claimed delivery stays pending
//     until Finish. Sequence numbers of an entity commit in order (see
//     Append), so a Claim that sees a delivery also sees every earlier one.
//   - Finish updates only deliveries still pending and leased to the
//     caller, and records their attempts, in one statement.
//
// A call that failed in a deadlock or a serialization failure, or before
// anything reached the server, is tried again; so are reads whose
// connection broke. Writes whose connection broke are not retried: they
// may have committed.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options configure a Store. The zero value is valid.
type Options struct {
	// Schema is the schema that holds the tables; Open creates it when
	// missing and every connection uses it as its search_path. Empty: the
	// connection's own search_path (normally public).
	Schema string
	// MaxConns caps the Store's connections to the server. Default 16.
	MaxConns int
	// ApplicationName is reported to the server (pg_stat_activity) unless
	// the URL sets application_name. Default "herald-publisher".
	ApplicationName string
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	switch {
	case o.MaxConns < 0:
		return fmt.Errorf("postgres: MaxConns %d is negative", o.MaxConns)
	case len(o.Schema) > 63:
		return fmt.Errorf("postgres: Schema %q is longer than 63 bytes", o.Schema)
	}
	return nil
}

// Store is a store.Store in PostgreSQL. Its methods are safe for
// concurrent use, and any number of Stores, in any number of processes,
// may share one database and schema.
type Store struct {
	pool *connPool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), then creates or migrates the tables. Close the
// Store when done.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = 16
	}
	if opts.ApplicationName == "" {
		opts.ApplicationName = "herald-publisher"
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = make(map[string]string)
	}
	if opts.Schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = opts.ApplicationName
	}
	s := &Store{pool: newConnPool(cfg, opts.MaxConns)}
	conn, err := s.pool.get(ctx)
	if err != nil {
		s.pool.close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	err = migrate(ctx, conn, opts.Schema)
	s.pool.put(conn)
	if err != nil {
		s.pool.close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Close closes the Store's connections; those in use close when their
// call ends. Every later call fails with store.ErrClosed. Close may be
// called more than once.
func (s *Store) Close() error {
	s.pool.close()
	return nil
}

// tries bounds the attempts of one call.
const tries = 3

// Whether a call may be tried again on a connection that broke.
const (
	write = false // the call writes: it may have committed
	read  = true  // the call only reads
)

// run calls f with a pooled connection, and again with another one when
// f failed in a way that left nothing done (see retriable). Errors are
// wrapped with "postgres: op".
func (s *Store) run(ctx context.Context, op string, readOnly bool, f func(*pgx.Conn) error) error {
	for try := 1; ; try++ {
		c, err := s.pool.get(ctx)
		if err != nil {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		err = f(c)
		broken := c.IsClosed()
		s.pool.put(c)
		if err == nil {
			return nil
		}
		if try == tries || ctx.Err() != nil || !retriable(err, readOnly && broken) {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
	}
}

// retriable reports whether a failed call can be made again as if it never
// happened: it was rolled back by a deadlock or serialization failure, or
// it failed before the server saw it, or it was a read (broken tells that
// its connection broke).
func retriable(err error, broken bool) bool {
	if broken || pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// checkOpen fails with store.ErrClosed after Close; calls with nothing to
// do use it so that they fail like the others.
func (s *Store) checkOpen(op string) error {
	if s.pool.isClosed() {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrClosed)
	}
	return nil
}

// notFound wraps store.ErrNotFound with what was not found.
func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound)
}

// utc returns t in UTC; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
