package queue

import (
	"context"
	"time"
)

// deadLetterQueue resolves q's RedrivePolicy target, or nil.
func (q *Queue) deadLetterQueue() *Queue {
	q.mu.Lock()
	r := q.cfg.redrive
	q.mu.Unlock()
	if r == nil {
		return nil
	}
	dlq, err := q.e.QueueByArn(r.DeadLetterTargetArn)
	if err != nil || dlq == q {
		return nil
	}
	return dlq
}

// deadLetter moves msgs from src to dlq durably: the delete from the
// source and the insert into the dead-letter queue share one transaction.
func (e *Engine) deadLetter(ctx context.Context, src, dlq *Queue, msgs []*message) error {
	return e.move(ctx, src, dlq, msgs, true)
}

// move takes msgs out of src and appends them to dst. A dead-letter move
// keeps receive counts and records the source ARN; a redrive (move task)
// starts them afresh.
func (e *Engine) move(ctx context.Context, src, dst *Queue, msgs []*message, deadLetter bool) error {
	src.mu.Lock()
	var moved []*message
	for _, m := range msgs {
		if src.msgs[m.Seq] != m || m.state != stateReady {
			continue
		}
		src.unlink(m)
		moved = append(moved, m)
	}
	src.mu.Unlock()
	if len(moved) == 0 {
		return nil
	}
	now := e.now()
	dst.mu.Lock()
	if dst.deleted {
		dst.mu.Unlock()
		e.restoreReady(src, moved)
		return errNoQueue()
	}
	fresh := make([]*message, 0, len(moved))
	ops := make([]Op, 0, 2*len(moved))
	for _, m := range moved {
		r := m.MessageRecord
		r.QueueID = dst.rec.ID
		r.Seq = e.nextSeq.Add(1)
		r.VisibleAt = now.UnixNano()
		if deadLetter {
			r.DeadLetterSource = src.arn
			if dst.cfg.fifo {
				// A FIFO dead-letter queue restarts the retention clock;
				// a standard one keeps the original enqueue time.
				r.SentAt = now.UnixMilli()
			}
		} else {
			r.ReceiveCount = 0
			r.FirstReceiveAt = 0
			r.DeadLetterSource = ""
			if !dst.cfg.fifo {
				r.SentAt = now.UnixMilli()
			}
		}
		if dst.cfg.fifo && r.GroupID == "" {
			r.GroupID = "default"
		}
		nm := &message{MessageRecord: r, heapIdx: -1, state: stateUncommitted}
		if dst.cfg.fifo {
			dst.msgs[nm.Seq] = nm
			dst.uncommitted++
			dst.addToGroup(nm)
		}
		fresh = append(fresh, nm)
		rec := r
		ops = append(ops, Op{Kind: OpDeleteMessage, QueueID: src.rec.ID, Seq: m.Seq}, Op{Kind: OpPutMessage, Message: &rec})
	}
	dst.mu.Unlock()

	if err := e.apply(ctx, ops); err != nil {
		dst.mu.Lock()
		for _, m := range fresh {
			if dst.msgs[m.Seq] == m {
				dst.unlink(m)
			}
		}
		dst.mu.Unlock()
		e.restoreReady(src, moved)
		return err
	}
	dst.mu.Lock()
	n := 0
	for _, m := range fresh {
		if dst.deleted {
			break
		}
		if dst.cfg.fifo && dst.msgs[m.Seq] != m {
			continue
		}
		if dst.cfg.fifo {
			dst.uncommitted-- // its placeholder becomes the message
		}
		dst.msgs[m.Seq] = m
		m.state = stateReady
		if !dst.cfg.fifo {
			dst.ready.push(m)
		}
		n++
	}
	dst.signal(n)
	dst.mu.Unlock()
	return nil
}

// restoreReady puts messages back into q after a failed move.
func (e *Engine) restoreReady(q *Queue, msgs []*message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	for _, m := range msgs {
		q.restore(m.MessageRecord, time.Unix(0, 0))
	}
	q.signal(len(msgs))
}
