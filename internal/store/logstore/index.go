package logstore

import (
	"maps"

	"github.com/herald-dev/herald/internal/queue"
)

// ref says which segment holds the live copy of a record and how many bytes
// of op encoding it takes there.
type ref struct {
	seg  uint64
	size int64
}

// msgRef is what the store keeps in memory of a live message: where its put
// is and its mutable fields, as last updated. The body stays on disk.
type msgRef struct {
	ref
	visibleAt, firstReceiveAt int64
	receiveCount              int32
}

type dedupEntry struct {
	rec queue.DedupRecord
	ref ref
}

type queueIndex struct {
	rec    *queue.QueueRecord // nil once deleted or dropped
	recRef ref
	msgs   map[int64]msgRef // by Seq
	dedup  map[string]dedupEntry
}

type recordEntry struct {
	value []byte
	ref   ref
}

// segStat counts the live records of one segment.
type segStat struct {
	size      int64 // bytes in the file
	liveBytes int64
	live      int
}

// index is the store's picture of the live state: every record except
// message bodies, and which segment holds each. Only the writer goroutine
// (and Open, before it starts) touches it.
type index struct {
	queues        map[int64]*queueIndex
	records       map[[2]string]recordEntry
	maxSeq, maxID int64
	segs          map[uint64]*segStat
	liveBytes     int64
	totalBytes    int64
	liveRecords   int
	liveMessages  int
}

func newIndex() *index {
	return &index{queues: map[int64]*queueIndex{}, records: map[[2]string]recordEntry{}, segs: map[uint64]*segStat{}}
}

func (x *index) ref(r ref) {
	st := x.segs[r.seg]
	st.live++
	st.liveBytes += r.size
	x.liveBytes += r.size
	x.liveRecords++
}

func (x *index) unref(r ref) {
	st := x.segs[r.seg]
	if st == nil { // the segment is gone; cannot happen for a live record
		return
	}
	st.live--
	st.liveBytes -= r.size
	x.liveBytes -= r.size
	x.liveRecords--
}

func (x *index) queue(id int64) *queueIndex {
	qi := x.queues[id]
	if qi == nil {
		qi = &queueIndex{msgs: map[int64]msgRef{}, dedup: map[string]dedupEntry{}}
		x.queues[id] = qi
	}
	return qi
}

// apply applies op, encoded in size bytes of segment seg, with the same
// meaning memstore gives it.
func (x *index) apply(seg uint64, op *queue.Op, size int64) {
	r := ref{seg: seg, size: size}
	switch op.Kind {
	case queue.OpPutQueue:
		q := *op.Queue
		q.Attributes = maps.Clone(q.Attributes)
		q.Tags = maps.Clone(q.Tags)
		qi := x.queue(q.ID)
		if qi.rec != nil {
			x.unref(qi.recRef)
		}
		qi.rec, qi.recRef = &q, r
		x.ref(r)
		x.maxID = max(x.maxID, q.ID)
	case queue.OpDeleteQueue:
		if qi := x.queues[op.QueueID]; qi != nil {
			x.dropQueue(qi)
			for _, m := range qi.msgs {
				x.unref(m.ref)
			}
			x.liveMessages -= len(qi.msgs)
			delete(x.queues, op.QueueID)
		}
	case queue.OpDropQueue:
		if qi := x.queues[op.QueueID]; qi != nil {
			x.dropQueue(qi)
		}
	case queue.OpPutMessage:
		m := op.Message
		qi := x.queue(m.QueueID)
		if old, ok := qi.msgs[m.Seq]; ok {
			x.unref(old.ref)
			x.liveMessages--
		}
		qi.msgs[m.Seq] = msgRef{ref: r, visibleAt: m.VisibleAt, firstReceiveAt: m.FirstReceiveAt, receiveCount: m.ReceiveCount}
		x.ref(r)
		x.liveMessages++
		x.maxSeq = max(x.maxSeq, m.Seq)
	case queue.OpUpdateMessage:
		if qi := x.queues[op.QueueID]; qi != nil {
			if m, ok := qi.msgs[op.Seq]; ok {
				m.visibleAt, m.receiveCount, m.firstReceiveAt = op.VisibleAt, op.ReceiveCount, op.FirstReceiveAt
				qi.msgs[op.Seq] = m
			}
		}
	case queue.OpDeleteMessage:
		if qi := x.queues[op.QueueID]; qi != nil {
			if m, ok := qi.msgs[op.Seq]; ok {
				x.unref(m.ref)
				x.liveMessages--
				delete(qi.msgs, op.Seq)
			}
		}
	case queue.OpPutDedup:
		d := *op.Dedup
		qi := x.queue(d.QueueID)
		if old, ok := qi.dedup[d.Key]; ok {
			x.unref(old.ref)
		}
		qi.dedup[d.Key] = dedupEntry{rec: d, ref: r}
		x.ref(r)
		x.maxSeq = max(x.maxSeq, d.Seq)
	case queue.OpDeleteDedup:
		if qi := x.queues[op.QueueID]; qi != nil {
			for k, d := range qi.dedup {
				if d.rec.ExpiresAt <= op.ExpiresAt {
					x.unref(d.ref)
					delete(qi.dedup, k)
				}
			}
		}
	case queue.OpPurgeQueue:
		if qi := x.queues[op.QueueID]; qi != nil {
			for seq, m := range qi.msgs {
				if seq <= op.Seq {
					x.unref(m.ref)
					x.liveMessages--
					delete(qi.msgs, seq)
				}
			}
		}
	case queue.OpPutRecord:
		k := [2]string{op.Record.Kind, op.Record.Key}
		if old, ok := x.records[k]; ok {
			x.unref(old.ref)
		}
		x.records[k] = recordEntry{value: append([]byte{}, op.Record.Value...), ref: r}
		x.ref(r)
	case queue.OpDeleteRecord:
		k := [2]string{op.Record.Kind, op.Record.Key}
		if old, ok := x.records[k]; ok {
			x.unref(old.ref)
			delete(x.records, k)
		}
	case opMeta:
		x.maxSeq = max(x.maxSeq, op.Seq)
		x.maxID = max(x.maxID, op.QueueID)
	}
}

// dropQueue forgets a queue's record and dedup records, keeping its messages.
func (x *index) dropQueue(qi *queueIndex) {
	if qi.rec != nil {
		x.unref(qi.recRef)
		qi.rec = nil
	}
	for _, d := range qi.dedup {
		x.unref(d.ref)
	}
	clear(qi.dedup)
}

// growth is how many bytes of live data op adds (its puts), for the
// MaxBytes cap.
func growth(op *queue.Op, size int64) int64 {
	switch op.Kind {
	case queue.OpPutQueue, queue.OpPutMessage, queue.OpPutDedup, queue.OpPutRecord:
		return size
	}
	return 0
}
