// Package sqlite is a queue.Store kept in one SQLite database file, using the
// pure-Go driver modernc.org/sqlite.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so an
// Apply that returned nil survives a crash of the process or the machine.
// Throughput comes from group commit: one writer goroutine gathers every
// pending Apply into one transaction and one fsync. While a group commits,
// its callers wait, so with N steady callers a group holds about N/2
// Applies and throughput is about N/2 per fsync: it grows with concurrency.
// The queue and the writer's loop are internal/groupcommit's.
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/herald-dev/herald/internal/groupcommit"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/binenc"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by Apply after Close.
var ErrClosed = errors.New("sqlite: store closed")

// Options configure a Store. The zero value is valid.
type Options struct {
	// Logger receives background events. Default slog.Default().
	Logger *slog.Logger
	// MaxBatchOps caps the ops of one group-commit transaction; an Apply
	// larger than the cap still runs whole, alone. Default 10000.
	MaxBatchOps int
	// CacheSizeKiB is SQLite's page cache per connection. Default 32768
	// (32 MiB).
	CacheSizeKiB int
	// MaxBytes, when positive, caps the database file: a write that would
	// grow it further fails with queue.ErrStorageFull, as a full disk
	// does, and nothing of it is applied. Space that deletes free is
	// reused.
	MaxBytes int64
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	if o.MaxBatchOps < 0 {
		return fmt.Errorf("sqlite: MaxBatchOps %d is negative", o.MaxBatchOps)
	}
	if o.CacheSizeKiB < 0 {
		return fmt.Errorf("sqlite: CacheSizeKiB %d is negative", o.CacheSizeKiB)
	}
	if o.MaxBytes < 0 {
		return fmt.Errorf("sqlite: MaxBytes %d is negative", o.MaxBytes)
	}
	return nil
}

func loadRecords(ctx context.Context, tx *sql.Tx) ([]queue.Record, error) {
	rows, err := tx.QueryContext(ctx, "SELECT kind, key, value FROM records ORDER BY kind, key")
	if err != nil {
		return nil, fmt.Errorf("sqlite: load records: %w", err)
	}
	defer rows.Close()
	var out []queue.Record
	for rows.Next() {
		var r queue.Record
		if err := rows.Scan(&r.Kind, &r.Key, &r.Value); err != nil {
			return nil, fmt.Errorf("sqlite: load records: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load records: %w", err)
	}
	return out, nil
}

// Stats are counters since Open.
type Stats struct {
	Transactions uint64 // transactions committed
	Failed       uint64 // transactions rolled back after an error
	Applies      uint64 // Apply calls committed
	Ops          uint64 // ops committed
}

// Store is a queue.Store backed by SQLite. Its methods are safe for
// concurrent use.
type Store struct {
	db  *sql.DB
	log *slog.Logger
	w   *writer
	q   *groupcommit.Queue[*request] // Apply calls, served by the writer goroutine

	closeOnce sync.Once
	closeErr  error

	transactions, failed, applies, ops atomic.Uint64
}

var _ queue.Store = (*Store)(nil)

// Open opens or creates the database at path, brings its schema up to date
// and starts the writer. Close the Store when done.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBatchOps == 0 {
		opts.MaxBatchOps = 10000
	}
	if opts.CacheSizeKiB == 0 {
		opts.CacheSizeKiB = 32 << 10
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", opts.CacheSizeKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoint every 4000 pages (16 MiB) of WAL instead of 1000: fewer
	// stalls of the writer, which runs them, and fewer copies of hot pages.
	q.Add("_pragma", "wal_autocheckpoint(4000)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	if opts.MaxBytes > 0 {
		// Pages are 4096 bytes (SQLite's default, never changed here).
		q.Add("_pragma", fmt.Sprintf("max_page_count(%d)", max(opts.MaxBytes/4096, 16)))
	}
	q.Add("_journal_mode", "WAL")
	q.Add("_synchronous", "FULL")
	db, err := sql.Open("sqlite", "file:"+strings.ReplaceAll(path, "?", "%3f")+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection is the writer's; the others serve Load.
	db.SetMaxOpenConns(4)
	s := &Store{
		db:  db,
		log: opts.Logger,
		q: groupcommit.New(groupcommit.Policy[*request]{
			MaxWeight: opts.MaxBatchOps,
			Weight:    func(r *request) int { return len(r.ops) },
		}, ErrClosed),
	}
	if err := s.init(ctx, opts); err != nil {
		_ = db.Close()
		return nil, err
	}
	go s.q.Run(s.commit)
	return s, nil
}

func (s *Store) init(ctx context.Context, opts Options) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: journal_mode is %q, want wal", mode)
	}
	if err := migrate(ctx, s.db); err != nil {
		return err
	}
	w, err := newWriter(ctx, s.db)
	if err != nil {
		return err
	}
	s.w = w
	return nil
}

// Load reads the whole database in one read transaction: queues by ID,
// messages in Seq order, dedup records by queue and key.
func (s *Store) Load(ctx context.Context) (*queue.Snapshot, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: load: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	snap := &queue.Snapshot{}
	if err := tx.QueryRowContext(ctx, "SELECT next_seq, next_id FROM meta WHERE id = 1").Scan(&snap.NextSeq, &snap.NextID); err != nil {
		return nil, fmt.Errorf("sqlite: load meta: %w", err)
	}
	if snap.Queues, err = loadQueues(ctx, tx); err != nil {
		return nil, err
	}
	if snap.Messages, err = loadMessages(ctx, tx); err != nil {
		return nil, err
	}
	if snap.Dedup, err = loadDedup(ctx, tx); err != nil {
		return nil, err
	}
	if snap.Records, err = loadRecords(ctx, tx); err != nil {
		return nil, err
	}
	for _, q := range snap.Queues {
		snap.NextID = max(snap.NextID, q.ID+1)
	}
	if n := len(snap.Messages); n > 0 {
		snap.NextSeq = max(snap.NextSeq, snap.Messages[n-1].Seq+1)
	}
	for _, d := range snap.Dedup {
		snap.NextSeq = max(snap.NextSeq, d.Seq+1)
	}
	return snap, nil
}

func loadQueues(ctx context.Context, tx *sql.Tx) ([]queue.QueueRecord, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, account, name, attributes, tags, created, modified FROM queues ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("sqlite: load queues: %w", err)
	}
	defer rows.Close()
	var out []queue.QueueRecord
	for rows.Next() {
		var q queue.QueueRecord
		var attrs, tags string
		if err := rows.Scan(&q.ID, &q.Account, &q.Name, &attrs, &tags, &q.CreatedAt, &q.ModifiedAt); err != nil {
			return nil, fmt.Errorf("sqlite: load queues: %w", err)
		}
		if q.Attributes, err = decodeMap(attrs); err != nil {
			return nil, fmt.Errorf("sqlite: queue %d attributes: %w", q.ID, err)
		}
		if q.Tags, err = decodeMap(tags); err != nil {
			return nil, fmt.Errorf("sqlite: queue %d tags: %w", q.ID, err)
		}
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load queues: %w", err)
	}
	return out, nil
}

// loadMessages reads every message in Seq order: the table's rowid is the
// Seq, so the scan is already in order; the sort only guards that.
func loadMessages(ctx context.Context, tx *sql.Tx) ([]queue.MessageRecord, error) {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM messages").Scan(&n); err != nil {
		return nil, fmt.Errorf("sqlite: count messages: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT queue_id, seq, id, body, attributes, system_attributes, sender_id,
		sent_at, visible_at, receive_count, first_receive_at, group_id, dedup_id, dlq_source FROM messages`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load messages: %w", err)
	}
	defer rows.Close()
	out := make([]queue.MessageRecord, 0, n)
	var attrs, sys sql.RawBytes
	for rows.Next() {
		var m queue.MessageRecord
		if err := rows.Scan(&m.QueueID, &m.Seq, &m.ID, &m.Body, &attrs, &sys, &m.SenderID,
			&m.SentAt, &m.VisibleAt, &m.ReceiveCount, &m.FirstReceiveAt, &m.GroupID, &m.DedupID, &m.DeadLetterSource); err != nil {
			return nil, fmt.Errorf("sqlite: load messages: %w", err)
		}
		if m.Attributes, err = binenc.DecodeAttrs(attrs); err != nil {
			return nil, fmt.Errorf("sqlite: message %d/%d attributes: %w", m.QueueID, m.Seq, err)
		}
		if m.SystemAttributes, err = binenc.DecodeAttrs(sys); err != nil {
			return nil, fmt.Errorf("sqlite: message %d/%d system attributes: %w", m.QueueID, m.Seq, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load messages: %w", err)
	}
	slices.SortFunc(out, func(a, b queue.MessageRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func loadDedup(ctx context.Context, tx *sql.Tx) ([]queue.DedupRecord, error) {
	rows, err := tx.QueryContext(ctx, "SELECT queue_id, key, message_id, seq, expires_at FROM dedup ORDER BY queue_id, key")
	if err != nil {
		return nil, fmt.Errorf("sqlite: load dedup: %w", err)
	}
	defer rows.Close()
	var out []queue.DedupRecord
	for rows.Next() {
		var d queue.DedupRecord
		if err := rows.Scan(&d.QueueID, &d.Key, &d.MessageID, &d.Seq, &d.ExpiresAt); err != nil {
			return nil, fmt.Errorf("sqlite: load dedup: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load dedup: %w", err)
	}
	return out, nil
}

// Stats returns counters since Open.
func (s *Store) Stats() Stats {
	return Stats{
		Transactions: s.transactions.Load(),
		Failed:       s.failed.Load(),
		Applies:      s.applies.Load(),
		Ops:          s.ops.Load(),
	}
}

// Close lets the writer commit every Apply already waiting, stops it and
// closes the database. Apply calls after Close return ErrClosed. Safe to
// call twice; later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.q.Close()
		err := s.w.close()
		if cerr := s.db.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("sqlite: close: %w", cerr))
		}
		s.closeErr = err
	})
	return s.closeErr
}
