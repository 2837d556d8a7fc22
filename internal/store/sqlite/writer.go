package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/herald-dev/herald/internal/groupcommit"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/binenc"
)

// request is one Apply call waiting for the writer.
type request struct {
	groupcommit.Request
	ops []queue.Op
}

// requestPool recycles requests. Apply puts a request back only when the
// writer is done with it: after its answer, or when it was never queued.
// An abandoned request may still sit in the queue, where the writer drops
// it later, so it is never put back.
var requestPool = sync.Pool{New: func() any { return new(request) }}

// Apply persists ops in order and atomically, in one transaction that may
// hold other callers' ops too (group commit). When it returns nil the ops
// are durable. If ctx ends before the writer takes the ops, Apply returns
// ctx.Err() and applies nothing; once taken, Apply waits for the commit. It
// returns ErrClosed after Close, an error for an invalid op, and the
// transaction's error, wrapped, if the group fails; then none of ops is
// committed.
func (s *Store) Apply(ctx context.Context, ops []queue.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range ops {
		if err := validate(&ops[i]); err != nil {
			return err
		}
	}
	if len(ops) == 0 {
		if s.q.Closed() {
			return ErrClosed
		}
		return nil
	}
	r := requestPool.Get().(*request)
	r.ops = ops
	err := s.q.Submit(ctx, r)
	if !r.Abandoned() { // see requestPool
		r.ops = nil
		requestPool.Put(r)
	}
	return err
}

func validate(op *queue.Op) error {
	if err := op.Validate(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// commit runs batch in one transaction and sets every request's answer in
// errs. The writer goroutine (groupcommit.Queue.Run) calls it.
func (s *Store) commit(batch []*request, errs []error) {
	ops, err := s.w.commit(batch)
	if err != nil && isFull(err) {
		err = fmt.Errorf("%w: %w", queue.ErrStorageFull, err)
	}
	if err != nil {
		s.failed.Add(1)
		s.log.Error("sqlite: group commit failed", "applies", len(batch), "error", err)
	} else {
		s.transactions.Add(1)
		s.applies.Add(uint64(len(batch)))
		s.ops.Add(uint64(ops))
	}
	for i := range errs {
		errs[i] = err
	}
}

// writer owns the connection that writes and its prepared statements. Only
// the writer goroutine uses it after newWriter returns.
type writer struct {
	conn *sql.Conn

	begin, commitTx, rollback, meta                   *sql.Stmt
	putQueue, delQueue, delQueueMsgs, delQueueDedup   *sql.Stmt
	putMsg, updMsg, delMsg, purge, putDedup, delDedup *sql.Stmt
	putRecord, delRecord                              *sql.Stmt
	stmts                                             []*sql.Stmt
	nextSeq, nextID                                   int64 // as committed in meta
	attrBuf, sysBuf                                   []byte
}

func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: writer connection: %w", err)
	}
	w := &writer{conn: conn}
	var sync int
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("sqlite: read synchronous: %w", err)
	}
	if sync != 2 {
		_ = conn.Close()
		return nil, fmt.Errorf("sqlite: synchronous is %d, want 2 (FULL)", sync)
	}
	if err := w.prepare(ctx); err != nil {
		_ = w.close()
		return nil, err
	}
	err = conn.QueryRowContext(ctx, "SELECT next_seq, next_id FROM meta WHERE id = 1").Scan(&w.nextSeq, &w.nextID)
	if err != nil {
		_ = w.close()
		return nil, fmt.Errorf("sqlite: read meta: %w", err)
	}
	return w, nil
}

func (w *writer) prepare(ctx context.Context) error {
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.begin, "BEGIN IMMEDIATE"},
		{&w.commitTx, "COMMIT"},
		{&w.rollback, "ROLLBACK"},
		{&w.meta, "UPDATE meta SET next_seq = max(next_seq, ?), next_id = max(next_id, ?) WHERE id = 1"},
		{&w.putQueue, "INSERT OR REPLACE INTO queues (id, account, name, attributes, tags, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?)"},
		{&w.delQueue, "DELETE FROM queues WHERE id = ?"},
		{&w.delQueueMsgs, "DELETE FROM messages WHERE queue_id = ?"},
		{&w.delQueueDedup, "DELETE FROM dedup WHERE queue_id = ?"},
		{&w.putMsg, `INSERT OR REPLACE INTO messages (queue_id, seq, id, body, attributes, system_attributes, sender_id,
			sent_at, visible_at, receive_count, first_receive_at, group_id, dedup_id, dlq_source)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.updMsg, "UPDATE messages SET visible_at = ?, receive_count = ?, first_receive_at = ? WHERE queue_id = ? AND seq = ?"},
		{&w.delMsg, "DELETE FROM messages WHERE queue_id = ? AND seq = ?"},
		{&w.purge, "DELETE FROM messages WHERE queue_id = ? AND seq <= ?"},
		{&w.putDedup, "INSERT OR REPLACE INTO dedup (queue_id, key, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)"},
		{&w.delDedup, "DELETE FROM dedup WHERE queue_id = ? AND expires_at <= ?"},
		{&w.putRecord, "INSERT OR REPLACE INTO records (kind, key, value) VALUES (?, ?, ?)"},
		{&w.delRecord, "DELETE FROM records WHERE kind = ? AND key = ?"},
	} {
		st, err := w.conn.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", p.sql, err)
		}
		*p.stmt = st
		w.stmts = append(w.stmts, st)
	}
	return nil
}

// commit runs the ops of batch in one transaction and returns how many ops
// it ran. On error the transaction is rolled back.
func (w *writer) commit(batch []*request) (int, error) {
	ctx := context.Background()
	if _, err := w.begin.ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: begin: %w", err)
	}
	nextSeq, nextID, n := w.nextSeq, w.nextID, 0
	err := func() error {
		for _, r := range batch {
			for i := range r.ops {
				op := &r.ops[i]
				if err := w.exec(ctx, op); err != nil {
					return err
				}
				switch op.Kind {
				case queue.OpPutMessage:
					nextSeq = max(nextSeq, op.Message.Seq+1)
				case queue.OpPutDedup:
					nextSeq = max(nextSeq, op.Dedup.Seq+1)
				case queue.OpPutQueue:
					nextID = max(nextID, op.Queue.ID+1)
				}
			}
			n += len(r.ops)
		}
		if nextSeq != w.nextSeq || nextID != w.nextID {
			if _, err := w.meta.ExecContext(ctx, nextSeq, nextID); err != nil {
				return fmt.Errorf("sqlite: update meta: %w", err)
			}
		}
		if _, err := w.commitTx.ExecContext(ctx); err != nil {
			return fmt.Errorf("sqlite: commit: %w", err)
		}
		return nil
	}()
	if err != nil {
		// After some failed COMMITs SQLite has already rolled back; the
		// error of this ROLLBACK then says so and is of no interest.
		_, _ = w.rollback.ExecContext(ctx)
		return n, err
	}
	w.nextSeq, w.nextID = nextSeq, nextID
	return n, nil
}

func (w *writer) exec(ctx context.Context, op *queue.Op) error {
	var err error
	switch op.Kind {
	case queue.OpPutQueue:
		q := op.Queue
		var attrs, tags string
		if attrs, err = encodeMap(q.Attributes); err != nil {
			return fmt.Errorf("sqlite: queue %d attributes: %w", q.ID, err)
		}
		if tags, err = encodeMap(q.Tags); err != nil {
			return fmt.Errorf("sqlite: queue %d tags: %w", q.ID, err)
		}
		_, err = w.putQueue.ExecContext(ctx, q.ID, q.Account, q.Name, attrs, tags, q.CreatedAt, q.ModifiedAt)
	case queue.OpDeleteQueue:
		if _, err = w.delQueue.ExecContext(ctx, op.QueueID); err == nil {
			if _, err = w.delQueueMsgs.ExecContext(ctx, op.QueueID); err == nil {
				_, err = w.delQueueDedup.ExecContext(ctx, op.QueueID)
			}
		}
	case queue.OpDropQueue:
		if _, err = w.delQueue.ExecContext(ctx, op.QueueID); err == nil {
			_, err = w.delQueueDedup.ExecContext(ctx, op.QueueID)
		}
	case queue.OpPutMessage:
		m := op.Message
		w.attrBuf = binenc.AppendAttrs(w.attrBuf[:0], m.Attributes)
		w.sysBuf = binenc.AppendAttrs(w.sysBuf[:0], m.SystemAttributes)
		_, err = w.putMsg.ExecContext(ctx, m.QueueID, m.Seq, m.ID, m.Body, blob(w.attrBuf), blob(w.sysBuf), m.SenderID,
			m.SentAt, m.VisibleAt, int64(m.ReceiveCount), m.FirstReceiveAt, m.GroupID, m.DedupID, m.DeadLetterSource)
	case queue.OpUpdateMessage:
		_, err = w.updMsg.ExecContext(ctx, op.VisibleAt, int64(op.ReceiveCount), op.FirstReceiveAt, op.QueueID, op.Seq)
	case queue.OpDeleteMessage:
		_, err = w.delMsg.ExecContext(ctx, op.QueueID, op.Seq)
	case queue.OpPutDedup:
		d := op.Dedup
		_, err = w.putDedup.ExecContext(ctx, d.QueueID, d.Key, d.MessageID, d.Seq, d.ExpiresAt)
	case queue.OpDeleteDedup:
		_, err = w.delDedup.ExecContext(ctx, op.QueueID, op.ExpiresAt)
	case queue.OpPurgeQueue:
		_, err = w.purge.ExecContext(ctx, op.QueueID, op.Seq)
	case queue.OpPutRecord:
		_, err = w.putRecord.ExecContext(ctx, op.Record.Kind, op.Record.Key, blob(op.Record.Value))
	case queue.OpDeleteRecord:
		_, err = w.delRecord.ExecContext(ctx, op.Record.Kind, op.Record.Key)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", opNames[op.Kind], err)
	}
	return nil
}

var opNames = [...]string{
	queue.OpPutQueue:      "put queue",
	queue.OpDeleteQueue:   "delete queue",
	queue.OpDropQueue:     "drop queue",
	queue.OpPutMessage:    "put message",
	queue.OpUpdateMessage: "update message",
	queue.OpDeleteMessage: "delete message",
	queue.OpPutDedup:      "put dedup",
	queue.OpDeleteDedup:   "delete dedup",
	queue.OpPurgeQueue:    "purge queue",
	queue.OpPutRecord:     "put record",
	queue.OpDeleteRecord:  "delete record",
}

// blob returns b as a statement argument: NULL when empty.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (w *writer) close() error {
	var errs []error
	for _, st := range w.stmts {
		errs = append(errs, st.Close())
	}
	if err := w.conn.Close(); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: close writer connection: %w", err))
	}
	return errors.Join(errs...)
}

// isFull reports whether err is SQLite's SQLITE_FULL: the disk, or the
// MaxBytes cap, has no room for the transaction.
func isFull(err error) bool {
	return strings.Contains(err.Error(), "database or disk is full") || strings.Contains(err.Error(), "SQLITE_FULL")
}
