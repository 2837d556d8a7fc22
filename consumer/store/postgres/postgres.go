// Package postgres is a consumer.Store kept in PostgreSQL, for several
// listener processes sharing one deduplication and ordering state. It uses
// github.com/jackc/pgx/v5.
//
// The tables are prefixed herald_consumer_ so that they can live in an
// application's own database, in a schema of their own (Options.Schema) or
// not. Open creates and migrates them; concurrent Opens are safe.
//
// Every call is one statement, or one pipelined batch in one implicit
// transaction, on one round trip. Claims are race-free across processes:
// Claim is a single INSERT ... ON CONFLICT DO UPDATE, which locks each key's
// row and decides on its latest committed state. Keys are written in sorted
// order, so concurrent batches sharing keys never deadlock one another; a
// deadlock or serialization failure is retried all the same, as is a call
// whose connection broke (every call is idempotent for its owner: a Claim
// that committed but whose answer was lost is re-claimed by the retry).
//
// Lease expiry and completion times come from the database server's clock
// (now()), so that listeners on machines with skewed clocks agree on
// whose lease expired. Purge's cutoff is compared with those times.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options configure a Store. The zero value is valid.
type Options struct {
	// Schema is the schema that holds the tables, created if missing and
	// set as the search_path of every connection of the Store. Empty: the
	// connection's own search_path (normally public).
	Schema string
	// MaxConns caps the Store's connections. Default 16: one per caller
	// of a consumer's 16 workers, each waiting for its commit's WAL flush.
	MaxConns int
	// ApplicationName is reported to the server (pg_stat_activity) unless
	// the URL sets application_name. Default "herald-consumer".
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

// Store is a consumer.Store backed by PostgreSQL. Its methods are safe for
// concurrent use.
type Store struct {
	pool *pool
}

var _ consumer.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), creates the schema and tables when missing and
// migrates them. Close the Store when done.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = 16
	}
	if opts.ApplicationName == "" {
		opts.ApplicationName = "herald-consumer"
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if opts.Schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = opts.ApplicationName
	}
	s := &Store{pool: newPool(cfg, opts.MaxConns)}
	conn, err := s.pool.acquire(ctx)
	if err != nil {
		s.pool.close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	err = migrate(ctx, conn, opts.Schema)
	s.pool.release(conn)
	if err != nil {
		s.pool.close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Close closes the Store's connections (those in use when their call
// returns). It is safe to call more than once.
func (s *Store) Close() error {
	s.pool.close()
	return nil
}

// maxAttempts bounds the tries of one call (see retriable).
const maxAttempts = 3

// do runs f on a pooled connection, again on another when the failure was
// retriable. It wraps errors with op.
func (s *Store) do(ctx context.Context, op string, f func(*pgx.Conn) error) error {
	for attempt := 1; ; attempt++ {
		c, err := s.pool.acquire(ctx)
		if err != nil {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
		err = f(c)
		broken := c.IsClosed()
		s.pool.release(c)
		if err == nil {
			return nil
		}
		if attempt == maxAttempts || ctx.Err() != nil || !retriable(err, broken) {
			return fmt.Errorf("postgres: %s: %w", op, err)
		}
	}
}

// retriable reports whether a call that failed with err may be tried
// again: after a deadlock or serialization failure, or when its connection
// broke (an idle connection the server closed, a network failure).
func retriable(err error, broken bool) bool {
	if broken || pgconn.SafeToRetry(err) {
		return true
	}
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// checkOpen is the answer to an empty batch: nothing to do, unless closed.
func (s *Store) checkOpen() error {
	if s.pool.isClosed() {
		return ErrClosed
	}
	return nil
}

func checkOwner(owner string) error {
	if owner == "" {
		return errors.New("postgres: empty owner")
	}
	return nil
}

// maxLease caps leases so that now()+lease stays a valid timestamp.
const maxLease = 100 * 365 * 24 * time.Hour

// micros is lease in microseconds, as the SQL multiplies an interval of
// one microsecond by it.
func micros(lease time.Duration) float64 {
	return float64(min(lease, maxLease).Microseconds())
}
