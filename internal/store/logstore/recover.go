package logstore

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

// recover replays every segment into the index and a snapshot, cuts off a
// torn tail of the newest segment and opens it for appending (or creates
// the first segment).
func (s *Store) recover(ctx context.Context) error {
	s.x = newIndex()
	ids, err := listSegments(s.dir)
	if err != nil {
		return fmt.Errorf("logstore: %w", err)
	}
	snap := memstore.New()
	for i, id := range ids {
		last := i == len(ids)-1
		s.x.segs[id] = &segStat{}
		data, err := os.ReadFile(segName(s.dir, id))
		if err != nil {
			return fmt.Errorf("logstore: %w", err)
		}
		end, err := s.replayData(ctx, id, data, func(op *queue.Op, size int64) error {
			s.x.apply(id, op, size)
			if op.Kind == opMeta {
				return nil
			}
			return snap.Apply(ctx, []queue.Op{*op})
		})
		if err != nil && !(errors.Is(err, errTorn) && last) {
			return fmt.Errorf("logstore: %s: %w", segName(s.dir, id), err)
		}
		if last && end <= headerSize {
			// A segment without even its meta frame is one whose creation
			// a crash interrupted (createSegment syncs the header and the
			// meta frame before anything else is written or any older
			// segment is removed): it holds nothing, and keeping it
			// without a meta frame would lose the high-water marks once
			// the older segments go. A longer file with a bad header is
			// damage, not a torn creation.
			if len(data) > 4096 {
				return fmt.Errorf("logstore: %s: the newest segment's header is damaged (%d bytes follow it): %w", segName(s.dir, id), len(data), err)
			}
			s.log.Warn("logstore: removing a segment whose creation was interrupted", "segment", segName(s.dir, id))
			delete(s.x.segs, id)
			if err := os.Remove(segName(s.dir, id)); err != nil {
				return fmt.Errorf("logstore: %w", err)
			}
			if err := syncDir(s.dir); err != nil {
				return fmt.Errorf("logstore: %w", err)
			}
			ids = ids[:i]
			if len(ids) > 0 {
				// The previous segment is the active one again; its file
				// may end in zeros or in a torn frame as well.
				if _, err := s.reopenTail(ids[len(ids)-1]); err != nil {
					return err
				}
			}
			break
		}
		if last && int64(len(data)) > end {
			// Whatever follows the last good frame — zeros, a torn frame,
			// stale bytes — is cut off, so that no later frame can make it
			// reachable.
			if errors.Is(err, errTorn) {
				s.log.Warn("logstore: cutting off a torn frame at the end of the log (a write that was never acknowledged)",
					"segment", segName(s.dir, id), "offset", end)
			}
			if err := truncateSync(segName(s.dir, id), end); err != nil {
				return err
			}
		}
		s.x.segs[id].size = end
		s.x.totalBytes += end
	}
	s.segIDs = ids
	if len(ids) == 0 {
		f, err := s.createSegment(1)
		if err != nil {
			return err
		}
		s.f, s.segIDs = f, []uint64{1}
	} else {
		id := ids[len(ids)-1]
		f, err := os.OpenFile(segName(s.dir, id), os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("logstore: %w", err)
		}
		fi, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("logstore: %w", err)
		}
		s.f, s.off, s.base, s.alloc = f, s.x.segs[id].size, s.x.segs[id].size, fi.Size()
	}
	first, err := snap.Load(ctx)
	if err != nil {
		return err
	}
	first.NextSeq = max(first.NextSeq, s.x.maxSeq+1)
	first.NextID = max(first.NextID, s.x.maxID+1)
	s.firstSnap = first
	return nil
}

// replay reads segment id and calls fn with each op of each valid frame. It
// returns the offset where the valid frames end, and errTorn (wrapped) if
// a torn or corrupt frame follows them.
func (s *Store) replay(ctx context.Context, id uint64, fn func(op *queue.Op, size int64) error) (int64, error) {
	data, err := os.ReadFile(segName(s.dir, id))
	if err != nil {
		return 0, err
	}
	return s.replayData(ctx, id, data, fn)
}

// reopenTail cuts segment id (already replayed) back to the end of its
// frames, for when it becomes the active segment again, and returns that
// end.
func (s *Store) reopenTail(id uint64) (int64, error) {
	data, err := os.ReadFile(segName(s.dir, id))
	if err != nil {
		return 0, fmt.Errorf("logstore: %w", err)
	}
	end, err := scanFrames(data, id, func([]byte) error { return nil })
	if err != nil && !errors.Is(err, errTorn) {
		return 0, fmt.Errorf("logstore: %s: %w", segName(s.dir, id), err)
	}
	if int64(len(data)) > end {
		if err := truncateSync(segName(s.dir, id), end); err != nil {
			return 0, err
		}
	}
	return end, nil
}

func (s *Store) replayData(ctx context.Context, id uint64, data []byte, fn func(op *queue.Op, size int64) error) (int64, error) {
	return scanFrames(data, id, func(payload []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := decodeOps(payload, func(op *queue.Op, size int) error { return fn(op, int64(size)) }); err != nil {
			// The checksum held, so this is not a torn write: the frame is
			// from a different version or the file was altered.
			return fmt.Errorf("undecodable frame: %w", err)
		}
		return nil
	})
}

// load reads the whole log into a snapshot, or returns what Open read if
// nothing was written since. It runs in the writer goroutine, so every
// frame in the files is complete and durable.
func (s *Store) load() (*queue.Snapshot, error) {
	if snap := s.firstSnap; snap != nil {
		s.firstSnap = nil
		return snap, nil
	}
	ctx := context.Background()
	mem := memstore.New()
	for _, id := range s.segIDs {
		_, err := s.replay(ctx, id, func(op *queue.Op, _ int64) error {
			if op.Kind == opMeta {
				return nil
			}
			return mem.Apply(ctx, []queue.Op{*op})
		})
		if err != nil {
			return nil, fmt.Errorf("logstore: load %s: %w", segName(s.dir, id), err)
		}
	}
	snap, err := mem.Load(ctx)
	if err != nil {
		return nil, err
	}
	snap.NextSeq = max(snap.NextSeq, s.x.maxSeq+1)
	snap.NextID = max(snap.NextID, s.x.maxID+1)
	return snap, nil
}

func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("logstore: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = datasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("logstore: cut off torn tail: %w", err)
	}
	return nil
}
