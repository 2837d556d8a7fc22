package queue

import (
	"context"
	"strconv"
	"time"
)

// ReceiveInput is the input of ReceiveMessage.
type ReceiveInput struct {
	Max               int    // 1..10, 0 means 1
	VisibilityTimeout *int64 // seconds; nil means the queue's
	WaitTimeSeconds   *int64 // nil means the queue's ReceiveMessageWaitTimeSeconds
	AttemptID         string // ReceiveRequestAttemptId (FIFO)
}

// Received is one received message.
type Received struct {
	MessageRecord
	ReceiptHandle string
}

// Validate checks the input's ranges as SQS does.
func (in *ReceiveInput) Validate() error {
	if in.Max < 0 || in.Max > MaxBatchEntries {
		return errInvalidParam("MaxNumberOfMessages", strconv.Itoa(in.Max), "Must be between 1 and 10, if provided.")
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > MaxVisibilityTimeout) {
		return errInvalidParam("VisibilityTimeout", strconv.FormatInt(*in.VisibilityTimeout, 10), "Must be >= 0 and <= 43200, if provided.")
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > MaxWaitTimeSeconds) {
		return errInvalidParam("WaitTimeSeconds", strconv.FormatInt(*in.WaitTimeSeconds, 10), "Must be >= 0 and <= 20, if provided.")
	}
	if in.AttemptID != "" && !ValidFifoID(in.AttemptID) {
		return errInvalidParam("ReceiveRequestAttemptId", in.AttemptID, "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
	}
	return nil
}

// Receive receives up to in.Max messages, long-polling up to the wait time
// when none is available. It returns as soon as at least one message is
// received, the wait time passes, ctx is done, or the queue is deleted.
func (e *Engine) Receive(ctx context.Context, q *Queue, in ReceiveInput) ([]Received, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Max == 0 {
		in.Max = 1
	}
	q.mu.Lock()
	wait := int64(q.cfg.waitTime)
	q.mu.Unlock()
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	deadline := e.now().Add(time.Duration(wait) * time.Second)
	var w *waiter
	for {
		out, dead, dlq, err := q.tryReceive(ctx, in, wait > 0, &w)
		if len(dead) > 0 {
			if derr := e.deadLetter(ctx, q, dlq, dead); derr != nil && err == nil && len(out) == 0 {
				err = derr
			}
			if len(out) == 0 && err == nil {
				continue // those were moved away; look again
			}
		}
		if err != nil || len(out) > 0 || w == nil {
			if w != nil {
				q.dropWaiter(w)
			}
			return out, err
		}
		remaining := deadline.Sub(e.now())
		if remaining <= 0 {
			q.dropWaiter(w)
			return nil, nil
		}
		t := time.NewTimer(remaining)
		select {
		case <-w.ch:
			t.Stop()
		case <-t.C:
			q.dropWaiter(w)
			return nil, nil
		case <-ctx.Done():
			t.Stop()
			q.dropWaiter(w)
			return nil, nil
		case <-e.stop:
			t.Stop()
			q.dropWaiter(w)
			return nil, nil
		}
	}
}

// dropWaiter unregisters a long poll that is returning. If it was woken
// but is leaving without taking anything, the wake-up passes to the next
// waiter so that no message waits for a poller that is gone.
func (q *Queue) dropWaiter(w *waiter) {
	q.mu.Lock()
	if w.elem != nil {
		q.waiters.Remove(w.elem)
		w.elem = nil
	} else {
		select {
		case <-w.ch:
			q.signal(1)
		default:
		}
	}
	q.mu.Unlock()
}

// tryReceive takes what is receivable now. When nothing is and wait is
// true, it registers *w as a waiter (allocating it on first use) in the same
// critical section, so no wake-up is missed. It returns the messages that
// must be dead-lettered instead of delivered.
func (q *Queue) tryReceive(ctx context.Context, in ReceiveInput, wait bool, w **waiter) ([]Received, []*message, *Queue, error) {
	e := q.e
	dlq := q.deadLetterQueue()
	now := e.now()
	nowNano := now.UnixNano()
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, nil, nil, errNoQueue()
	}
	q.promote(nowNano)
	if in.AttemptID != "" && q.cfg.fifo {
		if out, ok := q.replayAttempt(in.AttemptID, now); ok {
			q.mu.Unlock()
			return out, nil, nil, nil
		}
	}
	vis := q.cfg.visibility
	if in.VisibilityTimeout != nil {
		vis = *in.VisibilityTimeout
	}
	limit := MaxInflightStandard
	if q.cfg.fifo {
		limit = MaxInflightFifo
	}
	var picked, dead []*message
	cutoff := now.UnixMilli() - q.cfg.retention*1000
	var ops []Op
	if q.ready.Len() > 0 || len(q.groups) > 0 {
		// Something may be taken: room for it without growing.
		picked, ops = make([]*message, 0, in.Max), make([]Op, 0, in.Max)
	}
	take := func(m *message) bool {
		if m.SentAt < cutoff {
			q.unlink(m)
			ops = append(ops, Op{Kind: OpDeleteMessage, QueueID: q.rec.ID, Seq: m.Seq})
			return false
		}
		if r := q.cfg.redrive; r != nil && dlq != nil && r.DeadLetterTargetArn == dlq.arn && int(m.ReceiveCount) >= r.MaxReceiveCount {
			dead = append(dead, m)
			return false
		}
		picked = append(picked, m)
		return true
	}
	overLimit := false
	if q.cfg.fifo {
		overLimit = q.pickFifo(in.Max, limit, take)
	} else {
		var back []*message
		for len(picked) < in.Max {
			if q.inflight+len(picked) >= limit {
				overLimit = q.ready.Len() > 0
				break
			}
			m := q.ready.pop()
			if m == nil {
				break
			}
			if !take(m) && q.msgs[m.Seq] == m {
				back = append(back, m) // to be dead-lettered; stays ready until moved
			}
		}
		for _, m := range back {
			q.ready.push(m)
		}
	}
	out := make([]Received, 0, len(picked))
	visibleAt := nowNano + vis*int64(time.Second)
	for _, m := range picked {
		m.ReceiveCount++
		if m.FirstReceiveAt == 0 {
			m.FirstReceiveAt = now.UnixMilli()
		}
		m.VisibleAt = visibleAt
		m.receivedAt = nowNano
		m.state = stateInflight
		q.inflight++
		if m.group != nil {
			m.group.inflight++
		}
		q.pending.push(m)
		ops = append(ops, Op{Kind: OpUpdateMessage, QueueID: q.rec.ID, Seq: m.Seq, VisibleAt: m.VisibleAt, ReceiveCount: m.ReceiveCount, FirstReceiveAt: m.FirstReceiveAt})
		out = append(out, Received{MessageRecord: m.MessageRecord, ReceiptHandle: encodeHandle(q.rec.ID, m.Seq, m.ReceiveCount)})
	}
	if in.AttemptID != "" && q.cfg.fifo && len(picked) > 0 {
		a := attemptEntry{expiresAt: now.UnixMilli() + DedupWindowMillis}
		for _, m := range picked {
			a.handles = append(a.handles, attemptMsg{seq: m.Seq, rc: m.ReceiveCount})
		}
		q.attempts[in.AttemptID] = a
	}
	// Others may be waiting for what is left (for FIFO queues, in groups
	// this receive did not take).
	if len(picked) > 0 && (q.cfg.fifo || q.ready.Len() > 0) {
		q.signal(1)
	}
	if len(out) == 0 && len(dead) == 0 && overLimit {
		q.mu.Unlock()
		return nil, nil, nil, Errorf(ErrOverLimit, "Too many messages in flight. The limit is %d messages.", limit)
	}
	if len(out) == 0 && len(dead) == 0 && wait {
		if *w == nil {
			*w = &waiter{ch: make(chan struct{}, 1)}
		}
		if (*w).elem == nil {
			(*w).elem = q.waiters.PushBack(*w)
		}
	}
	q.armTimer()
	q.mu.Unlock()
	if err := e.apply(ctx, ops); err != nil {
		return nil, dead, dlq, err
	}
	return out, dead, dlq, nil
}

// pickFifo takes up to max messages, keeping group order: a group with a
// message in flight is skipped; messages of one group are taken together.
func (q *Queue) pickFifo(max, limit int, take func(*message) bool) (overLimit bool) {
	n := 0
	var served []*group
	for ge := q.groupOrder.Front(); ge != nil && n < max; {
		g := ge.Value.(*group)
		next := ge.Next()
		if g.inflight == 0 {
			took := false
			for me := g.msgs.Front(); me != nil && n < max; {
				m := me.Value.(*message)
				nextM := me.Next()
				if m.state != stateReady {
					break
				}
				if q.inflight+n >= limit {
					return true
				}
				if take(m) {
					n++
					took = true
				} else if q.msgs[m.Seq] == m {
					break // dead-lettered head: keep order, stop this group
				}
				me = nextM
			}
			if took {
				served = append(served, g)
			}
		}
		ge = next
	}
	// Round-robin: groups just served go to the back.
	for _, g := range served {
		if q.groups[g.id] == g {
			q.groupOrder.MoveToBack(g.elem)
		}
	}
	return false
}

// replayAttempt returns the messages of an earlier receive with the same
// ReceiveRequestAttemptId when they are all still in flight under it.
func (q *Queue) replayAttempt(id string, now time.Time) ([]Received, bool) {
	a, ok := q.attempts[id]
	if !ok || a.expiresAt <= now.UnixMilli() {
		return nil, false
	}
	out := make([]Received, 0, len(a.handles))
	for _, h := range a.handles {
		m := q.msgs[h.seq]
		if m == nil || m.state != stateInflight || m.ReceiveCount != h.rc {
			return nil, false
		}
		out = append(out, Received{MessageRecord: m.MessageRecord, ReceiptHandle: encodeHandle(q.rec.ID, m.Seq, m.ReceiveCount)})
	}
	return out, true
}
