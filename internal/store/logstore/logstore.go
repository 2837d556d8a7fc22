// Package logstore is a queue.Store kept as an append-only log of segment
// files, with an in-memory index of what is live in it.
//
// Every group commit (internal/groupcommit gathers the calls) is one
// checksummed frame appended to the newest segment and made durable with
// one fdatasync; an Apply returns only after its frame is on disk, so an
// acknowledged write survives kill -9 and power loss. The index knows, for
// every live record, which segment holds it (message bodies stay on disk).
// A segment that no longer holds anything live is deleted once it is the
// oldest; when the log holds more dead bytes than live ones (plus a
// segment's worth), the oldest segment's live records are copied to the
// head of the log and the segment is deleted. Open replays the segments in
// order and cuts off a torn last frame.
//
// It does what the SQLite store does with a fraction of the work per write:
// no B-trees, no pages, no checkpoints — one write and one fdatasync per
// group (see docs/architecture.md for the figures).
package logstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/herald-dev/herald/internal/groupcommit"
	"github.com/herald-dev/herald/internal/queue"
)

// ErrClosed is returned by Apply and Load after Close.
var ErrClosed = errors.New("logstore: store closed")

// Options configure a Store. The zero value is valid.
type Options struct {
	// Logger receives background events. Default slog.Default().
	Logger *slog.Logger
	// SegmentBytes is the size at which the log moves to a new segment
	// file. Default 64 MiB.
	SegmentBytes int64
	// MaxBytes, when positive, caps the live data: a write that would
	// grow it further fails with queue.ErrStorageFull, as a full disk
	// does, and nothing of it is applied. Deletes always succeed. The
	// files may hold up to about twice the live data plus a segment before
	// compaction reclaims the dead part.
	MaxBytes int64
	// MaxBatchOps caps the ops of one group commit; an Apply larger than
	// the cap still commits whole, alone. Default 10000.
	MaxBatchOps int
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	if o.SegmentBytes < 0 || o.MaxBytes < 0 || o.MaxBatchOps < 0 {
		return fmt.Errorf("logstore: negative option in %+v", o)
	}
	return nil
}

// Stats are counters since Open and the log's current shape.
type Stats struct {
	Commits         uint64 // group commits (frames) written
	Failed          uint64 // group commits that failed
	Applies         uint64 // Apply calls committed
	Ops             uint64 // ops committed
	Compactions     uint64 // segments whose live records were copied forward
	SegmentsRemoved uint64 // segment files deleted
	Segments        int    // segment files now
	LogBytes        int64  // bytes in the segment files
	LiveBytes       int64  // bytes of live records in them
}

// Store is a queue.Store backed by a log of segment files in one directory.
// Its methods are safe for concurrent use.
type Store struct {
	dir  string
	log  *slog.Logger
	opts Options
	lock *os.File // holds the directory's lock

	q *groupcommit.Queue[*request] // calls, served by the writer goroutine

	// Owned by the writer goroutine.
	x         *index
	segIDs    []uint64 // ascending; the last is the active one
	f         *os.File // the active segment
	off       int64    // end of its durable frames
	base      int64    // end of its header and meta frame
	alloc     int64    // the file's size: zeros from off to alloc
	buf       []byte
	broken    error
	firstSnap *queue.Snapshot // what Open read, until the first write
	compactor compactor

	closeOnce sync.Once
	closeErr  error

	commits, failed, applies, ops, compactions, removed atomic.Uint64
	segments, logBytes, liveBytes                       atomic.Int64 // the log's shape after the last commit
}

var _ queue.Store = (*Store)(nil)

// Open opens or creates the log in dir, replays it and starts the writer.
// Close the Store when done.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = 64 << 20
	}
	if opts.MaxBatchOps == 0 {
		opts.MaxBatchOps = 10000
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("logstore: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, log: opts.Logger, opts: opts, lock: lock, q: groupcommit.New(policy(opts.MaxBatchOps), ErrClosed)}
	if err := s.recover(ctx); err != nil {
		_ = lock.Close()
		return nil, err
	}
	s.publishShape()
	s.compactor.start(s)
	go s.q.Run(s.serve)
	return s, nil
}

// Load returns everything the store holds. The first call after Open
// returns what Open read; later calls read the log again.
func (s *Store) Load(ctx context.Context) (*queue.Snapshot, error) {
	r := &request{kind: reqLoad}
	if err := s.q.Submit(ctx, r); err != nil {
		return nil, err
	}
	return r.snap, nil
}

// Apply persists ops in order and atomically, in one frame that may hold
// other callers' ops too (group commit). When it returns nil the ops are
// durable. If ctx ends before the writer takes the ops, Apply returns
// ctx.Err() and applies nothing; once taken, Apply waits for the commit.
func (s *Store) Apply(ctx context.Context, ops []queue.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range ops {
		if ops[i].Kind == opMeta {
			return fmt.Errorf("logstore: unknown op kind %d", ops[i].Kind)
		}
		if err := ops[i].Validate(); err != nil {
			return fmt.Errorf("logstore: %w", err)
		}
	}
	if len(ops) == 0 {
		if s.q.Closed() {
			return ErrClosed
		}
		return nil
	}
	return s.q.Submit(ctx, &request{kind: reqApply, ops: ops})
}

// Stats returns counters since Open and the log's shape after the last
// commit (each figure read on its own, as for metrics).
func (s *Store) Stats() Stats {
	st := Stats{Segments: int(s.segments.Load()), LogBytes: s.logBytes.Load(), LiveBytes: s.liveBytes.Load()}
	st.Commits, st.Failed = s.commits.Load(), s.failed.Load()
	st.Applies, st.Ops = s.applies.Load(), s.ops.Load()
	st.Compactions, st.SegmentsRemoved = s.compactions.Load(), s.removed.Load()
	return st
}

func (s *Store) publishShape() {
	s.segments.Store(int64(len(s.segIDs)))
	s.logBytes.Store(s.x.totalBytes)
	s.liveBytes.Store(s.x.liveBytes)
}

// Close lets the writer commit every Apply already waiting, stops it and
// the compactor, and closes the files. Apply calls after Close return
// ErrClosed. Safe to call twice; later calls return the first call's
// result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.q.Close()
		s.compactor.stop()
		var err error
		if s.f != nil {
			err = s.f.Close()
		}
		if cerr := s.lock.Close(); err == nil {
			err = cerr
		}
		s.closeErr = err
	})
	return s.closeErr
}
