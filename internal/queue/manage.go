package queue

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CreateQueueInput is the input of CreateQueue.
type CreateQueueInput struct {
	Account    string
	Name       string
	Attributes map[string]string
	Tags       map[string]string
}

// CreateQueue creates a queue, or returns the existing one when its
// attributes match (QueueAlreadyExists otherwise).
func (e *Engine) CreateQueue(ctx context.Context, in CreateQueueInput) (*Queue, error) {
	if in.Name == "" {
		return nil, errMissing("QueueName")
	}
	fifo := strings.HasSuffix(in.Name, ".fifo")
	if v, ok := in.Attributes[AttrFifoQueue]; ok && v == "true" && !fifo {
		return nil, parseQueueName(in.Name, true)
	}
	if fifo && in.Attributes[AttrFifoQueue] != "true" {
		return nil, Errorf(ErrInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if err := parseQueueName(in.Name, fifo); err != nil {
		return nil, err
	}
	if err := validateAttributes(in.Attributes, fifo, true); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := e.checkRedrive(in.Attributes[AttrRedrivePolicy], fifo, in.Account, in.Name); err != nil {
		return nil, err
	}

	e.mu.Lock()
	k := key(in.Account, in.Name)
	if q := e.queues[k]; q != nil {
		e.mu.Unlock()
		q.mu.Lock()
		defer q.mu.Unlock()
		current := q.attributesLocked()
		for name, v := range in.Attributes {
			if !sameAttributeValue(name, current[name], v) {
				return nil, Errorf(ErrQueueAlreadyExists, "A queue already exists with the same name and a different value for attribute %s", name)
			}
		}
		return q, nil
	}
	if t, ok := e.deleted[k]; ok && e.now().Sub(t) < time.Minute {
		e.mu.Unlock()
		return nil, Errorf(ErrQueueDeletedRecently, "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	}
	if e.maxQueues > 0 && len(e.queues) >= e.maxQueues {
		e.mu.Unlock()
		return nil, Errorf(ErrOverLimit, "You have reached the limit of %d queues on this server; delete queues to create others.", e.maxQueues)
	}
	now := e.now().Unix()
	attrs := maps.Clone(in.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	rec := QueueRecord{
		ID:         e.nextQueueID.Add(1),
		Account:    in.Account,
		Name:       in.Name,
		Attributes: attrs,
		Tags:       maps.Clone(in.Tags),
		CreatedAt:  now,
		ModifiedAt: now,
	}
	q := newQueue(e, rec)
	e.queues[k] = q
	e.byID[rec.ID] = q
	e.mu.Unlock()

	if err := e.apply(ctx, []Op{{Kind: OpPutQueue, Queue: cloneRecord(&rec)}}); err != nil {
		e.mu.Lock()
		delete(e.queues, k)
		delete(e.byID, rec.ID)
		e.mu.Unlock()
		return nil, err
	}
	return q, nil
}

func cloneRecord(r *QueueRecord) *QueueRecord {
	c := *r
	c.Attributes = maps.Clone(r.Attributes)
	c.Tags = maps.Clone(r.Tags)
	return &c
}

func samePolicy(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// checkRedrive validates a RedrivePolicy against the queues that exist.
func (e *Engine) checkRedrive(policy string, fifo bool, account, name string) error {
	if policy == "" {
		return nil
	}
	p, err := parseRedrivePolicy(policy)
	if err != nil {
		return err
	}
	dlq, err := e.QueueByArn(p.DeadLetterTargetArn)
	if err != nil {
		return Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", policy)
	}
	if dlq.Fifo() != fifo {
		return Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", policy)
	}
	if dlq.Account() != account {
		return Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be in the same account as the source.", policy)
	}
	dlq.mu.Lock()
	allow := dlq.cfg.redriveAllow
	dlq.mu.Unlock()
	if allow != nil {
		srcArn := "arn:aws:sqs:" + e.region + ":" + account + ":" + name
		ok := allow.Permission == "allowAll"
		if allow.Permission == "byQueue" {
			for _, a := range allow.SourceQueueArns {
				if a == srcArn {
					ok = true
				}
			}
		}
		if !ok {
			return Errorf(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue's RedriveAllowPolicy does not allow this source queue.", policy)
		}
	}
	return nil
}

// DeleteQueue deletes q and every message in it.
func (e *Engine) DeleteQueue(ctx context.Context, q *Queue) error {
	e.mu.Lock()
	k := key(q.rec.Account, q.rec.Name)
	if e.queues[k] != q {
		e.mu.Unlock()
		return errNoQueue()
	}
	delete(e.queues, k)
	delete(e.byID, q.rec.ID)
	e.deleted[k] = e.now()
	e.mu.Unlock()
	q.mu.Lock()
	q.deleted = true
	q.wakeAll()
	if q.timer != nil {
		q.timer.Stop()
	}
	seqs := make([]int64, 0, len(q.msgs))
	for seq := range q.msgs {
		seqs = append(seqs, seq)
	}
	q.mu.Unlock()
	// The queue row goes at once; its messages go in small transactions so
	// that a large backlog does not stall every other write. Messages left
	// by a crash in between are removed at the next start.
	if err := e.apply(ctx, []Op{{Kind: OpDropQueue, QueueID: q.rec.ID}}); err != nil {
		return err
	}
	del := func(pause time.Duration) {
		if err := e.deleteMessages(context.Background(), q.rec.ID, seqs, pause); err != nil {
			e.log.Error("deleting the messages of a deleted queue", "queue", q.rec.Name, "err", err)
		}
	}
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		del(0) // shutting down: no new goroutines for Close to wait on
		return nil
	}
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		del(deletePause)
	}()
	return nil
}

// A deleted queue's messages are removed deleteChunk at a time, with a
// pause between chunks so that the cleanup yields the writer to live
// traffic. Close stops the cleanup; the next start finishes it.
const (
	deleteChunk = 5000
	deletePause = 5 * time.Millisecond
)

// deleteMessages deletes the given messages of queue id in chunks. With a
// pause it runs in the background and gives up when the engine closes.
func (e *Engine) deleteMessages(ctx context.Context, queueID int64, seqs []int64, pause time.Duration) error {
	slices.Sort(seqs)
	for first := true; len(seqs) > 0; first = false {
		if pause > 0 && !first {
			select {
			case <-e.stop:
				return nil
			case <-time.After(pause):
			}
		}
		// A range delete up to the chunk's last sequence number: the
		// store removes those rows through its queue index in one pass.
		n := min(len(seqs), deleteChunk)
		if err := e.apply(ctx, []Op{{Kind: OpPurgeQueue, QueueID: queueID, Seq: seqs[n-1]}}); err != nil {
			return err
		}
		seqs = seqs[n:]
	}
	return nil
}

// Attributes returns the requested attributes ("All" for every one).
// Unknown names give InvalidAttributeName.
func (q *Queue) Attributes(names []string) (map[string]string, error) {
	for _, n := range names {
		if !ValidAttributeName(n) {
			return nil, Errorf(ErrInvalidAttributeName, "Unknown Attribute %s.", n)
		}
	}
	q.mu.Lock()
	all := q.attributesLocked()
	q.mu.Unlock()
	out := map[string]string{}
	for _, n := range names {
		if n == AttrAll {
			return all, nil
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

func (q *Queue) attributesLocked() map[string]string {
	m := defaultAttributes(q.cfg.fifo)
	for k, v := range q.rec.Attributes {
		if v == "" && (k == AttrPolicy || k == AttrRedrivePolicy || k == AttrRedriveAllowPolicy || k == AttrKmsMasterKeyID) {
			continue
		}
		m[k] = v
	}
	if _, ok := m[AttrKmsMasterKeyID]; ok {
		if _, ok := m[AttrKmsDataKeyReusePeriodSeconds]; !ok {
			m[AttrKmsDataKeyReusePeriodSeconds] = "300"
		}
		if _, set := q.rec.Attributes[AttrSqsManagedSseEnabled]; !set {
			m[AttrSqsManagedSseEnabled] = "false"
		}
	}
	if q.cfg.redrive != nil {
		// SQS reports maxReceiveCount as a number whatever form it was set in.
		b, _ := json.Marshal(q.cfg.redrive)
		m[AttrRedrivePolicy] = string(b)
	}
	vis, inflight, delayed := q.counts(q.e.now().UnixNano())
	m[AttrApproximateNumberOfMessages] = strconv.Itoa(vis)
	m[AttrApproximateNumberOfMessagesNotVisible] = strconv.Itoa(inflight)
	m[AttrApproximateNumberOfMessagesDelayed] = strconv.Itoa(delayed)
	m[AttrCreatedTimestamp] = strconv.FormatInt(q.rec.CreatedAt, 10)
	m[AttrLastModifiedTimestamp] = strconv.FormatInt(q.rec.ModifiedAt, 10)
	m[AttrQueueArn] = q.arn
	return m
}

// SetAttributes changes settable attributes. An empty value for Policy,
// RedrivePolicy, RedriveAllowPolicy or KmsMasterKeyId removes it.
func (e *Engine) SetAttributes(ctx context.Context, q *Queue, attrs map[string]string) error {
	if len(attrs) == 0 {
		return errMissing("Attribute.1.Name")
	}
	if err := validateAttributes(attrs, q.Fifo(), false); err != nil {
		return err
	}
	if err := e.checkRedrive(attrs[AttrRedrivePolicy], q.Fifo(), q.Account(), q.Name()); err != nil {
		return err
	}
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return errNoQueue()
	}
	for k, v := range attrs {
		q.rec.Attributes[k] = v
	}
	q.rec.ModifiedAt = e.now().Unix()
	q.cfg = parseConfig(q.rec.Attributes)
	rec := cloneRecord(&q.rec)
	q.mu.Unlock()
	return e.apply(ctx, []Op{{Kind: OpPutQueue, Queue: rec}})
}

// Purge deletes every message in q. Only one purge per 60 seconds.
func (e *Engine) Purge(ctx context.Context, q *Queue) error {
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return errNoQueue()
	}
	now := e.now()
	if !q.lastPurge.IsZero() && now.Sub(q.lastPurge) < time.Minute {
		q.mu.Unlock()
		return Errorf(ErrPurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.rec.Name)
	}
	q.lastPurge = now
	// Every message sent before the purge goes, including sends still
	// committing: they see purgedSeq when their commit returns and delete
	// themselves (see SendBatch).
	q.purgedSeq = e.nextSeq.Load()
	for _, m := range q.msgs {
		q.unlink(m)
	}
	q.mu.Unlock()
	return e.apply(ctx, []Op{{Kind: OpPurgeQueue, QueueID: q.rec.ID, Seq: q.purgedSeqSnapshot()}})
}

func (q *Queue) purgedSeqSnapshot() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.purgedSeq
}

// Tags returns a copy of q's tags.
func (q *Queue) Tags() map[string]string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return maps.Clone(q.rec.Tags)
}

func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return Errorf(ErrInvalidParameterValue, "Too many tags added for queue. Max tag count is 50.")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 {
			return Errorf(ErrInvalidParameterValue, "Tag keys must be between 1 and 128 characters in length.")
		}
		if len(v) > 256 {
			return Errorf(ErrInvalidParameterValue, "Tag values must be less than 256 characters in length.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return Errorf(ErrInvalidParameterValue, "Tag keys must not start with the reserved prefix aws:.")
		}
	}
	return nil
}

// Tag adds or replaces tags; Untag removes them.
func (e *Engine) Tag(ctx context.Context, q *Queue, add map[string]string, remove []string) error {
	if add != nil && len(add) == 0 {
		return errMissing("Tags")
	}
	if add == nil && len(remove) == 0 {
		return errMissing("TagKeys")
	}
	if err := validateTags(add); err != nil {
		return err
	}
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return errNoQueue()
	}
	merged := maps.Clone(q.rec.Tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, add)
	for _, k := range remove {
		delete(merged, k)
	}
	if err := validateTags(merged); err != nil {
		q.mu.Unlock()
		return err
	}
	q.rec.Tags = merged
	rec := cloneRecord(&q.rec)
	q.mu.Unlock()
	return e.apply(ctx, []Op{{Kind: OpPutQueue, Queue: rec}})
}

// DeadLetterSources returns the queues whose RedrivePolicy targets q.
func (e *Engine) DeadLetterSources(q *Queue) []*Queue {
	var out []*Queue
	for _, s := range e.Queues(q.Account(), "") {
		s.mu.Lock()
		r := s.cfg.redrive
		s.mu.Unlock()
		if r != nil && r.DeadLetterTargetArn == q.arn {
			out = append(out, s)
		}
	}
	return out
}

type arnParts struct{ region, account, name string }

func parseArn(arn string) (arnParts, error) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[5] == "" {
		return arnParts{}, Errorf(ErrInvalidParameterValue, "Value %s for parameter QueueArn is invalid. Reason: Invalid ARN.", arn)
	}
	return arnParts{region: p[3], account: p[4], name: p[5]}, nil
}
