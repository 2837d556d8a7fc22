package logstore

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"

	"github.com/herald-dev/herald/internal/queue"
)

// relocation is one chunk of a compaction: the message puts read from an
// old segment, to be written again at the head of the log if that segment
// still holds their live copy. The last chunk also copies the segment's
// live queue, dedup and other records, which the index holds whole.
type relocation struct {
	seg  uint64
	msgs []*queue.MessageRecord
	last bool
}

// relocateChunkBytes bounds one relocation frame, so that writes queued
// behind a compaction wait for a few MiB, not a segment.
const relocateChunkBytes = 4 << 20

// compactor reads old segments in the background; the writer tells it which
// one, and it hands the live records back to the writer as relocations.
type compactor struct {
	work   chan uint64
	busy   atomic.Bool // set by the writer: a segment is being compacted
	wg     sync.WaitGroup
	closed chan struct{}
}

func (c *compactor) start(s *Store) {
	c.work = make(chan uint64, 1)
	c.closed = make(chan struct{})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			select {
			case seg := <-c.work:
				s.compact(seg)
			case <-c.closed:
				return
			}
		}
	}()
}

func (c *compactor) stop() {
	close(c.closed)
	c.wg.Wait()
}

// afterCommit runs in the writer after every commit: it deletes old
// segments that hold nothing live and starts a compaction when the log
// holds more dead bytes than live ones plus a segment.
func (s *Store) afterCommit() {
	s.removeDeadSegments()
	x := s.x
	if !s.compactor.busy.Load() && len(s.segIDs) > 1 && x.totalBytes-x.liveBytes > x.liveBytes+s.opts.SegmentBytes {
		s.compactor.busy.Store(true)
		s.compactor.work <- s.segIDs[0]
	}
	s.publishShape()
}

// removeDeadSegments deletes the oldest segments while they hold nothing
// live. Only the oldest may go: a newer one may hold the deletes that keep
// records of older ones dead.
func (s *Store) removeDeadSegments() {
	removed := false
	for len(s.segIDs) > 1 {
		id := s.segIDs[0]
		st := s.x.segs[id]
		if st.live > 0 {
			break
		}
		if err := os.Remove(segName(s.dir, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Error("logstore: remove segment", "segment", segName(s.dir, id), "error", err)
			break
		}
		s.x.totalBytes -= st.size
		delete(s.x.segs, id)
		s.segIDs = s.segIDs[1:]
		s.removed.Add(1)
		removed = true
	}
	if removed {
		if err := syncDir(s.dir); err != nil {
			s.log.Warn("logstore: sync directory after removing segments", "error", err)
		}
	}
}

// compact runs in the compactor goroutine: it reads segment seg and sends
// its message puts to the writer in chunks. The writer keeps those still
// live there.
func (s *Store) compact(seg uint64) {
	latest := map[[2]int64]*queue.MessageRecord{}
	var order []*queue.MessageRecord
	_, err := s.replay(context.Background(), seg, func(op *queue.Op, _ int64) error {
		if op.Kind == queue.OpPutMessage {
			k := [2]int64{op.Message.QueueID, op.Message.Seq}
			if _, seen := latest[k]; !seen {
				order = append(order, op.Message)
			}
			latest[k] = op.Message
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("logstore: read segment to compact", "segment", segName(s.dir, seg), "error", err)
	}
	var chunk []*queue.MessageRecord
	size := 0
	send := func(last bool) bool {
		r := &request{kind: reqRelocate, reloc: &relocation{seg: seg, msgs: chunk, last: last}}
		chunk, size = nil, 0
		return s.q.Submit(context.Background(), r) == nil
	}
	for _, m := range order {
		m = latest[[2]int64{m.QueueID, m.Seq}]
		chunk = append(chunk, m)
		size += len(m.Body) + 64
		if size >= relocateChunkBytes && !send(false) {
			// The last chunk still goes: it ends the compaction in the
			// writer, which may start another one later.
			chunk = nil
			break
		}
	}
	send(true)
}

// relocate runs in the writer: it writes again, at the head of the log,
// every record whose live copy is still in the relocation's segment, and
// returns the answer for r.
func (s *Store) relocate(r *request) error {
	rl := r.reloc
	var ops []queue.Op
	for _, m := range rl.msgs {
		qi := s.x.queues[m.QueueID]
		if qi == nil {
			continue
		}
		cur, ok := qi.msgs[m.Seq]
		if !ok || cur.seg != rl.seg {
			continue
		}
		m.VisibleAt, m.ReceiveCount, m.FirstReceiveAt = cur.visibleAt, cur.receiveCount, cur.firstReceiveAt
		ops = append(ops, queue.Op{Kind: queue.OpPutMessage, Message: m})
	}
	if rl.last {
		for _, qi := range s.x.queues {
			if qi.rec != nil && qi.recRef.seg == rl.seg {
				ops = append(ops, queue.Op{Kind: queue.OpPutQueue, Queue: qi.rec})
			}
			for _, d := range qi.dedup {
				if d.ref.seg == rl.seg {
					ops = append(ops, queue.Op{Kind: queue.OpPutDedup, Dedup: &d.rec})
				}
			}
		}
		for k, e := range s.x.records {
			if e.ref.seg == rl.seg {
				ops = append(ops, queue.Op{Kind: queue.OpPutRecord, Record: &queue.Record{Kind: k[0], Key: k[1], Value: e.value}})
			}
		}
	}
	var err error
	if len(ops) > 0 {
		errs := make([]error, 1)
		s.commit([]*request{{kind: reqApply, ops: ops, uncapped: true}}, errs)
		err = errs[0]
	}
	if rl.last {
		if err == nil {
			s.compactions.Add(1)
			if st := s.x.segs[rl.seg]; st != nil && st.live > 0 {
				s.log.Warn("logstore: a compacted segment still holds live records", "segment", segName(s.dir, rl.seg), "live", st.live)
			}
			s.removeDeadSegments()
			s.publishShape()
		}
		s.compactor.busy.Store(false)
	}
	return err
}
