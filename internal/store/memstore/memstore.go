// Package memstore is a queue.Store that keeps everything in memory, for
// `herald serve --in-memory` and tests. Nothing survives the process.
package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/herald-dev/herald/internal/queue"
)

// queueData is everything stored under one queue ID. Messages and dedup
// records may exist without a queue record (rec == nil) if the engine wrote
// them so; the store does not check references.
type queueData struct {
	rec   *queue.QueueRecord
	msgs  map[int64]queue.MessageRecord // by Seq
	dedup map[string]queue.DedupRecord  // by Key
}

// Store is an in-memory queue.Store. The zero value is not usable; call New.
type Store struct {
	mu      sync.Mutex
	queues  map[int64]*queueData
	records map[[2]string][]byte // by kind and key
	maxSeq  int64                // highest Seq ever written
	maxID   int64                // highest queue ID ever written
}

var _ queue.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{queues: map[int64]*queueData{}, records: map[[2]string][]byte{}}
}

// Load returns a copy of everything in the store: queues by ID, messages in
// Seq order, dedup records by queue and key. The caller may modify the
// records and their maps freely.
func (s *Store) Load(ctx context.Context) (*queue.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := &queue.Snapshot{NextSeq: s.maxSeq + 1, NextID: s.maxID + 1}
	for _, qd := range s.queues {
		if qd.rec != nil {
			q := *qd.rec
			q.Attributes = maps.Clone(q.Attributes)
			q.Tags = maps.Clone(q.Tags)
			snap.Queues = append(snap.Queues, q)
		}
		for _, m := range qd.msgs {
			m.Attributes = cloneAttrs(m.Attributes)
			m.SystemAttributes = cloneAttrs(m.SystemAttributes)
			snap.Messages = append(snap.Messages, m)
		}
		for _, d := range qd.dedup {
			snap.Dedup = append(snap.Dedup, d)
		}
	}
	for k, v := range s.records {
		snap.Records = append(snap.Records, queue.Record{Kind: k[0], Key: k[1], Value: slices.Clone(v)})
	}
	slices.SortFunc(snap.Records, func(a, b queue.Record) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Key, b.Key))
	})
	slices.SortFunc(snap.Queues, func(a, b queue.QueueRecord) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(snap.Messages, func(a, b queue.MessageRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	slices.SortFunc(snap.Dedup, func(a, b queue.DedupRecord) int {
		return cmp.Or(cmp.Compare(a.QueueID, b.QueueID), strings.Compare(a.Key, b.Key))
	})
	return snap, nil
}

// Apply applies ops in order, atomically: an invalid op (unknown kind or a
// missing record) makes Apply return an error before anything changes. It
// returns ctx.Err() without applying anything if ctx is already done.
func (s *Store) Apply(ctx context.Context, ops []queue.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range ops {
		if err := validate(&ops[i]); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range ops {
		s.apply(&ops[i])
	}
	return nil
}

func validate(op *queue.Op) error {
	if err := op.Validate(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}

// apply applies one validated op; s.mu is held. Records are copied so the
// caller's later changes to them do not reach the store; message attribute
// maps are shared, as the engine never changes them after a send.
func (s *Store) apply(op *queue.Op) {
	switch op.Kind {
	case queue.OpPutQueue:
		q := *op.Queue
		q.Attributes = maps.Clone(q.Attributes)
		q.Tags = maps.Clone(q.Tags)
		s.queue(q.ID).rec = &q
		s.maxID = max(s.maxID, q.ID)
	case queue.OpDeleteQueue:
		delete(s.queues, op.QueueID)
	case queue.OpDropQueue:
		if qd := s.queues[op.QueueID]; qd != nil {
			qd.rec = nil
			clear(qd.dedup)
		}
	case queue.OpPutMessage:
		m := *op.Message
		s.queue(m.QueueID).msgs[m.Seq] = m
		s.maxSeq = max(s.maxSeq, m.Seq)
	case queue.OpUpdateMessage:
		if qd := s.queues[op.QueueID]; qd != nil {
			if m, ok := qd.msgs[op.Seq]; ok {
				m.VisibleAt, m.ReceiveCount, m.FirstReceiveAt = op.VisibleAt, op.ReceiveCount, op.FirstReceiveAt
				qd.msgs[op.Seq] = m
			}
		}
	case queue.OpDeleteMessage:
		if qd := s.queues[op.QueueID]; qd != nil {
			delete(qd.msgs, op.Seq)
		}
	case queue.OpPutDedup:
		d := *op.Dedup
		s.queue(d.QueueID).dedup[d.Key] = d
		s.maxSeq = max(s.maxSeq, d.Seq)
	case queue.OpDeleteDedup:
		if qd := s.queues[op.QueueID]; qd != nil {
			maps.DeleteFunc(qd.dedup, func(_ string, d queue.DedupRecord) bool { return d.ExpiresAt <= op.ExpiresAt })
		}
	case queue.OpPurgeQueue:
		if qd := s.queues[op.QueueID]; qd != nil {
			maps.DeleteFunc(qd.msgs, func(seq int64, _ queue.MessageRecord) bool { return seq <= op.Seq })
		}
	case queue.OpPutRecord:
		s.records[[2]string{op.Record.Kind, op.Record.Key}] = slices.Clone(op.Record.Value)
	case queue.OpDeleteRecord:
		delete(s.records, [2]string{op.Record.Kind, op.Record.Key})
	}
}

// queue returns the data of queue id, creating it if needed.
func (s *Store) queue(id int64) *queueData {
	qd := s.queues[id]
	if qd == nil {
		qd = &queueData{msgs: map[int64]queue.MessageRecord{}, dedup: map[string]queue.DedupRecord{}}
		s.queues[id] = qd
	}
	return qd
}

// Close does nothing: the data stays readable and writable, so a test can
// simulate a restart by "reopening" the same Store. Safe to call twice.
func (s *Store) Close() error { return nil }

func cloneAttrs(a queue.MessageAttributes) queue.MessageAttributes {
	if a == nil {
		return nil
	}
	out := make(queue.MessageAttributes, len(a))
	for k, v := range a {
		v.BinaryValue = slices.Clone(v.BinaryValue)
		v.StringList = slices.Clone(v.StringList)
		if v.BinaryList != nil {
			bl := make([][]byte, len(v.BinaryList))
			for i, b := range v.BinaryList {
				bl[i] = slices.Clone(b)
			}
			v.BinaryList = bl
		}
		out[k] = v
	}
	return out
}
