package topic

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/snsmsg"
)

// Poster makes one HTTP(S) delivery attempt: a POST of body with header to
// url. It returns the response status, or an error when no response came.
type Poster interface {
	Post(ctx context.Context, url string, header map[string]string, body []byte) (status int, err error)
}

func deliveryKey(id int64) string { return fmt.Sprintf("%020d", id) }

// scheduler makes pending HTTP(S) deliveries when they are due: a heap by
// due time, one goroutine that sleeps until the earliest, and one goroutine
// per attempt, bounded globally and per subscription.
type scheduler struct {
	e      *Engine
	ids    atomic.Int64
	global chan struct{}
	orphan chan struct{} // bounds attempts whose subscription is gone

	mu      sync.Mutex
	due     deliveryHeap
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped bool
}

func newScheduler(e *Engine) *scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &scheduler{
		e: e, global: make(chan struct{}, e.opts.MaxDeliveries), orphan: make(chan struct{}, e.opts.PerSubscription),
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
	}
	s.ids.Store(e.now().UnixNano())
	return s
}

func (s *scheduler) nextID() int64 { return s.ids.Add(1) }

func (s *scheduler) start(loaded []*deliveryRecord) {
	for _, d := range loaded {
		if d.ID >= s.ids.Load() {
			s.ids.Store(d.ID + 1)
		}
		heap.Push(&s.due, d)
	}
	s.e.Stats.PendingDeliveries.Add(int64(len(loaded)))
	s.wg.Add(1)
	go s.loop()
}

// add schedules a delivery that is durable in the store.
func (s *scheduler) add(d *deliveryRecord) {
	s.e.Stats.PendingDeliveries.Add(1)
	s.push(d)
}

func (s *scheduler) push(d *deliveryRecord) {
	s.mu.Lock()
	heap.Push(&s.due, d)
	first := s.due[0] == d
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *scheduler) stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

func (s *scheduler) loop() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := s.e.now().UnixMilli()
		var ready []*deliveryRecord
		wait := time.Hour
		s.mu.Lock()
		for len(s.due) > 0 {
			if d := s.due[0]; d.NextAt <= now {
				ready = append(ready, heap.Pop(&s.due).(*deliveryRecord))
				continue
			}
			wait = time.Duration(s.due[0].NextAt-now) * time.Millisecond
			break
		}
		s.mu.Unlock()
		for _, d := range ready {
			s.wg.Add(1)
			go s.attempt(d)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

func acquire(ctx context.Context, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// attempt makes one delivery attempt of d and records its outcome.
func (s *scheduler) attempt(d *deliveryRecord) {
	defer s.wg.Done()
	e := s.e
	e.mu.RLock()
	sub := e.subs[d.Sub]
	var topicPolicy string
	if t := e.topics[d.TopicArn]; t != nil {
		topicPolicy = t.rec.Attributes["DeliveryPolicy"]
	}
	e.mu.RUnlock()
	if sub == nil && d.Type != "UnsubscribeConfirmation" {
		s.finish(d, nil) // unsubscribed meanwhile: nothing to deliver to
		return
	}
	sem := s.orphan
	subPolicy := ""
	if sub != nil {
		sem = sub.sem
		subPolicy = sub.rec.Attributes["DeliveryPolicy"]
	}
	if !acquire(s.ctx, sem) {
		return
	}
	defer func() { <-sem }()
	if !acquire(s.ctx, s.global) {
		return
	}
	defer func() { <-s.global }()

	policy := resolvePolicy(topicPolicy, subPolicy)
	header := map[string]string{
		"Content-Type":               policy.ContentType,
		"User-Agent":                 "Amazon Simple Notification Service Agent",
		"x-amz-sns-message-type":     d.Type,
		"x-amz-sns-message-id":       d.MessageID,
		"x-amz-sns-topic-arn":        d.TopicArn,
		"x-amz-sns-subscription-arn": d.Sub,
	}
	if d.Type == "SubscriptionConfirmation" {
		delete(header, "x-amz-sns-subscription-arn")
	}
	if d.Raw {
		header["x-amz-sns-rawdelivery"] = "true"
	}
	status, err := e.opts.Poster.Post(s.ctx, d.Endpoint, header, []byte(d.Body))
	if s.ctx.Err() != nil {
		return // stopping: the record stays for the next start
	}
	if err == nil && status >= 200 && status < 300 {
		e.Stats.DeliveredHTTP.Add(1)
		s.finish(d, nil)
		return
	}
	e.Stats.FailedAttempts.Add(1)
	next := *d
	next.Attempts++
	// A 4xx answer is a permanent failure: SNS does not retry it.
	permanent := err == nil && status >= 400 && status < 500
	if err == nil {
		err = fmt.Errorf("endpoint answered HTTP %d", status)
	}
	if delay, ok := policy.Retry.delay(next.Attempts); ok && !permanent {
		next.NextAt = e.now().Add(delay).UnixMilli()
		if perr := e.queues.ApplyRecords(s.ctx, opsOf(putRecord(kindDelivery, deliveryKey(d.ID), &next))); perr != nil {
			e.log.Error("sns: recording a failed delivery attempt", "subscription", d.Sub, "err", perr)
		}
		e.log.Debug("sns: delivery attempt failed", "subscription", d.Sub, "attempt", next.Attempts, "retry_in", delay, "err", err)
		s.push(&next)
		return
	}
	e.log.Warn("sns: delivery failed after its last retry", "subscription", d.Sub, "attempts", next.Attempts, "err", err)
	s.finish(d, sub)
}

// finish removes a delivery that is done. When dead is the subscription of
// an exhausted notification with a dead-letter queue, the message moves
// there in the same transaction.
func (s *scheduler) finish(d *deliveryRecord, dead *Subscription) {
	e := s.e
	e.Stats.PendingDeliveries.Add(-1)
	del := opsOf(deleteRecord(kindDelivery, deliveryKey(d.ID)))
	if dead != nil && dead.dlq != "" && d.Type == "Notification" {
		if q, err := e.queues.QueueByArn(dead.dlq); err == nil {
			in := queue.SendInput{Body: d.Body, HasBody: true, Attributes: sqsAttributes(d.Raw, d.Attributes), SenderID: SenderID}
			_, errs, err := e.queues.SendMulti(context.WithoutCancel(s.ctx), []queue.Delivery{{Queue: q, Input: in}}, del)
			if err == nil && errs[0] == nil {
				e.Stats.DeadLettered.Add(1)
				return
			}
			if err == nil {
				err = errs[0]
			}
			e.log.Error("sns: dead-lettering a delivery", "subscription", d.Sub, "queue", dead.dlq, "err", err)
		}
	}
	if dead != nil {
		e.Stats.Dropped.Add(1)
	}
	if err := e.queues.ApplyRecords(context.WithoutCancel(s.ctx), del); err != nil {
		e.log.Error("sns: removing a finished delivery", "subscription", d.Sub, "err", err)
	}
}

// confirmationDelivery builds the signed SubscriptionConfirmation or
// UnsubscribeConfirmation for an HTTP(S) subscription.
func (e *Engine) confirmationDelivery(t *Topic, s *Subscription, typ, token string) *deliveryRecord {
	now := e.now()
	m := &snsmsg.Message{
		Type:             typ,
		MessageId:        newUUID(),
		Token:            token,
		TopicArn:         t.rec.Arn,
		SubscribeURL:     e.opts.BaseURL + "/?Action=ConfirmSubscription&TopicArn=" + t.rec.Arn + "&Token=" + token,
		Timestamp:        snsmsg.FormatTimestamp(now),
		SignatureVersion: t.signatureVersion(),
		SigningCertURL:   e.certURL,
	}
	if typ == "SubscriptionConfirmation" {
		m.Message = "You have chosen to subscribe to the topic " + t.rec.Arn + ".\nTo confirm the subscription, visit the SubscribeURL included in this message."
	} else {
		m.Message = "You have chosen to deactivate subscription " + s.rec.Arn + ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
	}
	if err := e.signer.Sign(m); err != nil {
		e.log.Error("sns: signing a confirmation", "err", err)
	}
	return &deliveryRecord{
		ID: e.sched.nextID(), Sub: s.rec.Arn, TopicArn: t.rec.Arn, Endpoint: s.rec.Endpoint, Type: typ,
		MessageID: m.MessageId, Body: string(m.Marshal()), NextAt: now.UnixMilli(), FirstAt: now.UnixMilli(),
	}
}

// deliveryHeap orders deliveries by due time, then id.
type deliveryHeap []*deliveryRecord

func (h deliveryHeap) Len() int { return len(h) }
func (h deliveryHeap) Less(i, j int) bool {
	if h[i].NextAt != h[j].NextAt {
		return h[i].NextAt < h[j].NextAt
	}
	return h[i].ID < h[j].ID
}
func (h deliveryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deliveryHeap) Push(x any)   { *h = append(*h, x.(*deliveryRecord)) }
func (h *deliveryHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}
