package queue

import (
	"context"
	"fmt"
)

// Delivery is one message for one queue in a SendMulti.
type Delivery struct {
	Queue *Queue
	Input SendInput
}

// SendMulti sends messages to several queues and applies extra (records of
// the caller's own, see OpPutRecord) in one store transaction: all of it is
// durable or none. It is how an SNS publish fans out to its SQS
// subscriptions. errs holds, per delivery, why it was not sent (the queue is
// gone, the message is invalid for that queue); err is set when the store
// failed and nothing was written.
func (e *Engine) SendMulti(ctx context.Context, ds []Delivery, extra []Op) ([]SendResult, []error, error) {
	for i := range extra {
		if k := extra[i].Kind; k != OpPutRecord && k != OpDeleteRecord {
			return nil, nil, fmt.Errorf("queue: SendMulti: extra op of kind %d", k)
		}
	}
	results := make([]SendResult, len(ds))
	errs := make([]error, len(ds))
	// Group deliveries by queue, keeping their order within each queue.
	type group struct {
		q    *Queue
		idx  []int
		ins  []SendInput
		pend *pendingSend
	}
	var groups []*group
	byQueue := map[*Queue]*group{}
	for i := range ds {
		g := byQueue[ds[i].Queue]
		if g == nil {
			g = &group{q: ds[i].Queue}
			byQueue[g.q] = g
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
		g.ins = append(g.ins, ds[i].Input)
	}
	now := e.now()
	ops := append([]Op(nil), extra...)
	for _, g := range groups {
		g.pend = g.q.prepareSend(g.ins, now)
		if g.pend.err != nil {
			for _, i := range g.idx {
				errs[i] = g.pend.err
			}
			continue
		}
		ops = append(ops, g.pend.ops...)
	}
	if err := e.applyCancelable(ctx, ops); err != nil {
		for _, g := range groups {
			if g.pend.err == nil {
				g.pend.abort()
			}
		}
		return nil, nil, err
	}
	for _, g := range groups {
		if g.pend.err != nil {
			continue
		}
		e.finishSends(ctx, g.pend)
		for j, i := range g.idx {
			results[i], errs[i] = g.pend.results[j], g.pend.errs[j]
		}
	}
	return results, errs, nil
}

// TakeRecords returns the records (see OpPutRecord) the store held when the
// engine opened, for their owner to load, and forgets them.
func (e *Engine) TakeRecords() []Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.records
	e.records = nil
	return r
}

// ApplyRecords durably applies record ops (OpPutRecord, OpDeleteRecord) of
// another part of Herald through the engine's store, so that they share its
// group commit. The change is made even if ctx is cancelled meanwhile.
func (e *Engine) ApplyRecords(ctx context.Context, ops []Op) error {
	for i := range ops {
		if k := ops[i].Kind; k != OpPutRecord && k != OpDeleteRecord {
			return fmt.Errorf("queue: ApplyRecords: op of kind %d", k)
		}
	}
	return e.apply(ctx, ops)
}
