package topic

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/snsfilter"
	"github.com/herald-dev/herald/internal/snsmsg"
)

// MaxMessageSize bounds a message with its attributes, and the sum of a
// PublishBatch's messages.
const MaxMessageSize = 262144

// DedupWindow is how long a FIFO topic remembers a deduplication id.
const DedupWindow = 5 * time.Minute

// maxRawAttributes is the most message attributes a raw delivery to SQS
// can carry.
const maxRawAttributes = 10

// SenderID is the SenderId of messages SNS delivers to SQS queues.
const SenderID = "AIDAIT2UOQQY3AUEKVGXU"

// PublishInput is one message to publish.
type PublishInput struct {
	TopicArn         string
	TargetArn        string
	Message          string
	Subject          string
	HasSubject       bool
	MessageStructure string
	Attributes       queue.MessageAttributes
	GroupID          string
	DedupID          string
}

// PublishResult is what Publish returns.
type PublishResult struct {
	MessageID      string
	SequenceNumber string // FIFO topics only
}

// Publish publishes one message. When it returns, the message is durable,
// SQS subscriptions have it in their queues, and HTTP(S) deliveries are
// pending in the store.
func (e *Engine) Publish(ctx context.Context, in PublishInput) (PublishResult, error) {
	arn := in.TopicArn
	switch {
	case arn == "" && in.TargetArn == "":
		return PublishResult{}, invalid("TopicArn or TargetArn Reason: no value for required parameter")
	case arn != "" && in.TargetArn != "":
		return PublishResult{}, invalid("TopicArn Reason: Only one of TopicArn or TargetArn may be specified")
	case arn == "":
		arn = in.TargetArn
		if _, err := e.parseTopicArn("TargetArn", arn); err != nil {
			return PublishResult{}, err
		}
	default:
		if _, err := e.parseTopicArn("TopicArn", arn); err != nil {
			return PublishResult{}, err
		}
	}
	t, subs := e.topicAndSubs(arn)
	if t == nil {
		if in.TopicArn == "" {
			return PublishResult{}, invalid("TargetArn Reason: No endpoint found for the target arn specified")
		}
		return PublishResult{}, errNoTopic()
	}
	if err := e.validatePublish(t, &in); err != nil {
		return PublishResult{}, err
	}
	if len(in.Message)+attributesSize(in.Attributes) > MaxMessageSize {
		return PublishResult{}, invalid("Message too long")
	}
	b := e.newBatch(t, subs)
	if t.fifo {
		t.mu.Lock()
		defer t.mu.Unlock()
	}
	res, err := b.add(&in)
	if err != nil {
		return PublishResult{}, err
	}
	if err := b.commit(ctx); err != nil {
		return PublishResult{}, err
	}
	return res, nil
}

// topicAndSubs returns the topic of arn and its confirmed subscriptions.
func (e *Engine) topicAndSubs(arn string) (*Topic, []*Subscription) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t := e.topics[arn]
	if t == nil {
		return nil, nil
	}
	subs := make([]*Subscription, 0, len(t.subs))
	for _, s := range t.subs {
		if s.rec.Confirmed {
			subs = append(subs, s)
		}
	}
	return t, subs
}

func (e *Engine) validatePublish(t *Topic, in *PublishInput) error {
	if in.Message == "" {
		return invalid("Empty message")
	}
	if in.HasSubject {
		if in.Subject == "" || len(in.Subject) > 100 {
			return invalid("Subject")
		}
		for _, c := range in.Subject {
			if c < 0x20 || c > 0x7e {
				return invalid("Subject")
			}
		}
	}
	switch in.MessageStructure {
	case "":
	case "json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in.Message), &m); err != nil {
			return invalid("Message Structure - JSON message body failed to parse")
		}
		if _, ok := m["default"]; !ok {
			return invalid("Message Structure - No default entry in JSON message body")
		}
		for _, v := range m {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return invalid("Message Structure - JSON message body failed to parse")
			}
		}
	default:
		return invalid("MessageStructure")
	}
	if err := validateMessageAttributes(in.Attributes); err != nil {
		return err
	}
	if t.fifo {
		if in.GroupID == "" {
			return invalid("The MessageGroupId parameter is required for FIFO topics")
		}
		if in.DedupID == "" && t.rec.Attributes["ContentBasedDeduplication"] != "true" {
			return invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
	} else if in.DedupID != "" {
		return invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	for _, id := range []struct{ name, v string }{{"MessageGroupId", in.GroupID}, {"MessageDeduplicationId", in.DedupID}} {
		if id.v != "" && !queue.ValidFifoID(id.v) {
			return invalid("%s Reason: %s can only include alphanumeric and punctuation characters. 1 to 128 in length.", id.name, id.name)
		}
	}
	return nil
}

// publishBatch collects the deliveries of one or more publishes to a topic
// so that they commit in one store transaction.
type publishBatch struct {
	e      *Engine
	t      *Topic
	subs   []*Subscription
	now    time.Time
	ds     []queue.Delivery
	dsSub  []*Subscription // the subscription of each of ds
	ops    []queue.Op
	http   []*deliveryRecord
	dedups []string // dedup keys reserved in t.dedup, undone on failure
	count  int      // messages published
}

func (e *Engine) newBatch(t *Topic, subs []*Subscription) *publishBatch {
	return &publishBatch{e: e, t: t, subs: subs, now: e.now()}
}

// add publishes in into the batch. For a FIFO topic t.mu is held.
func (b *publishBatch) add(in *PublishInput) (PublishResult, error) {
	e, t := b.e, b.t
	res := PublishResult{MessageID: newUUID()}
	dedupID := in.DedupID
	if t.fifo {
		if dedupID == "" {
			sum := sha256.Sum256([]byte(in.Message))
			dedupID = hex.EncodeToString(sum[:])
		}
		nowMs := b.now.UnixMilli()
		if d, ok := t.dedup[dedupID]; ok && d.ExpiresAt > nowMs {
			return PublishResult{MessageID: d.MessageID, SequenceNumber: d.Seq}, nil
		}
		t.lastSeq = max(t.lastSeq+1, b.now.UnixNano()/1000)
		res.SequenceNumber = fmt.Sprintf("%020d", t.lastSeq)
		d := dedupRecord{MessageID: res.MessageID, Seq: res.SequenceNumber, ExpiresAt: nowMs + DedupWindow.Milliseconds()}
		t.dedup[dedupID] = d
		b.dedups = append(b.dedups, dedupID)
		b.ops = append(b.ops, putRecord(kindDedup, t.rec.Arn+"\x00"+dedupID, d))
		b.ops = append(b.ops, t.expireDedup(nowMs)...)
	}
	b.count++
	var perProto map[string]string
	if in.MessageStructure == "json" {
		_ = json.Unmarshal([]byte(in.Message), &perProto)
	}
	timestamp := snsmsg.FormatTimestamp(b.now)
	envelopes := map[string]*snsmsg.Message{} // signed once per distinct message text
	for _, s := range b.subs {
		msg := in.Message
		if perProto != nil {
			msg = perProto["default"]
			if m, ok := perProto[s.rec.Protocol]; ok {
				msg = m
			}
		}
		if s.filter != nil && !s.matches(msg, in.Attributes) {
			e.Stats.Filtered.Add(1)
			continue
		}
		body := msg
		if !s.raw {
			env := envelopes[msg]
			if env == nil {
				var err error
				if env, err = b.envelope(in, res, msg, timestamp); err != nil {
					return PublishResult{}, err
				}
				envelopes[msg] = env
			}
			one := *env
			one.UnsubscribeURL = e.unsubscribeURL(s.rec.Arn)
			body = string(one.Marshal())
		}
		if s.rec.Protocol == "sqs" {
			target := s.rec.Endpoint
			if s.raw && len(in.Attributes) > maxRawAttributes {
				// SQS takes at most 10 attributes: a client-side error,
				// dead-lettered or dropped, as SNS does.
				if target = s.dlq; target == "" {
					e.Stats.Dropped.Add(1)
					continue
				}
			}
			b.addSQS(s, target, queue.SendInput{
				Body: body, HasBody: true, Attributes: sqsAttributes(s.raw, in.Attributes),
				GroupID: in.GroupID, DedupID: fifoDedup(target, dedupID), SenderID: SenderID,
			})
			continue
		}
		d := &deliveryRecord{
			ID: e.sched.nextID(), Sub: s.rec.Arn, TopicArn: t.rec.Arn, Endpoint: s.rec.Endpoint,
			Type: "Notification", MessageID: res.MessageID, Body: body, Raw: s.raw,
			NextAt: b.now.UnixMilli(), FirstAt: b.now.UnixMilli(), Attributes: in.Attributes,
		}
		b.http = append(b.http, d)
		b.ops = append(b.ops, putRecord(kindDelivery, deliveryKey(d.ID), d))
	}
	return res, nil
}

// fifoDedup is the deduplication id for a delivery into the queue of arn:
// a FIFO queue takes the topic's; a standard queue (which a FIFO topic may
// also deliver to) takes none.
func fifoDedup(queueArn, id string) string {
	if strings.HasSuffix(queueArn, ".fifo") {
		return id
	}
	return ""
}

// addSQS adds a delivery into the queue of arn; a queue that does not exist
// sends it to the subscription's dead-letter queue, if any.
func (b *publishBatch) addSQS(s *Subscription, arn string, in queue.SendInput) {
	q, err := b.e.queues.QueueByArn(arn)
	if err != nil {
		if s.dlq != "" && arn != s.dlq {
			b.addSQS(s, s.dlq, in)
			return
		}
		b.e.Stats.Dropped.Add(1)
		b.e.log.Warn("sns: no queue for subscription", "subscription", s.rec.Arn, "queue", arn)
		return
	}
	if auth := b.e.opts.AuthorizeSQS; auth != nil {
		if err := auth(s.rec.TopicArn, q); err != nil {
			if s.dlq != "" && arn != s.dlq {
				b.addSQS(s, s.dlq, in)
				return
			}
			b.e.Stats.Dropped.Add(1)
			b.e.log.Warn("sns: the queue's policy refuses the topic", "subscription", s.rec.Arn, "queue", arn, "err", err)
			return
		}
	}
	b.ds = append(b.ds, queue.Delivery{Queue: q, Input: in})
	b.dsSub = append(b.dsSub, s)
}

// commit makes the batch durable and schedules its HTTP(S) deliveries.
func (b *publishBatch) commit(ctx context.Context) error {
	e := b.e
	_, errs, err := e.queues.SendMulti(ctx, b.ds, b.ops)
	if err != nil {
		for _, id := range b.dedups {
			delete(b.t.dedup, id)
		}
		return internal(err)
	}
	var retry []queue.Delivery
	for i, derr := range errs {
		if derr == nil {
			e.Stats.DeliveredSQS.Add(1)
			continue
		}
		s := b.dsSub[i]
		if s.dlq != "" && b.ds[i].Queue.Arn() != s.dlq {
			if q, err := e.queues.QueueByArn(s.dlq); err == nil {
				retry = append(retry, queue.Delivery{Queue: q, Input: b.ds[i].Input})
				continue
			}
		}
		e.Stats.Dropped.Add(1)
		e.log.Warn("sns: delivery to queue failed", "subscription", s.rec.Arn, "queue", b.ds[i].Queue.Arn(), "err", derr)
	}
	if len(retry) > 0 {
		_, errs, err := e.queues.SendMulti(ctx, retry, nil)
		for i := range retry {
			if err != nil || errs[i] != nil {
				e.Stats.Dropped.Add(1)
			} else {
				e.Stats.DeadLettered.Add(1)
			}
		}
	}
	e.Stats.Published.Add(uint64(b.count))
	for _, d := range b.http {
		e.sched.add(d)
	}
	return nil
}

// envelope builds the signed JSON notification of a publish.
func (b *publishBatch) envelope(in *PublishInput, res PublishResult, msg, timestamp string) (*snsmsg.Message, error) {
	e, t := b.e, b.t
	m := &snsmsg.Message{
		Type:           "Notification",
		MessageId:      res.MessageID,
		TopicArn:       t.rec.Arn,
		Message:        msg,
		Timestamp:      timestamp,
		SequenceNumber: res.SequenceNumber,
	}
	if in.HasSubject {
		m.Subject = in.Subject
	}
	if len(in.Attributes) > 0 {
		m.MessageAttributes = map[string]snsmsg.Attribute{}
		for k, v := range in.Attributes {
			a := snsmsg.Attribute{Type: v.DataType, Value: v.StringValue}
			if v.BaseType() == "Binary" {
				a.Value = base64.StdEncoding.EncodeToString(v.BinaryValue)
			}
			m.MessageAttributes[k] = a
		}
	}
	if !t.fifo {
		m.SignatureVersion = t.signatureVersion()
		m.SigningCertURL = e.certURL
		if err := e.signer.Sign(m); err != nil {
			return nil, internal(err)
		}
	}
	return m, nil
}

func (t *Topic) signatureVersion() string {
	if v := t.rec.Attributes["SignatureVersion"]; v == "2" {
		return v
	}
	return "1"
}

func (e *Engine) unsubscribeURL(subArn string) string {
	return e.opts.BaseURL + "/?Action=Unsubscribe&SubscriptionArn=" + subArn
}

// sqsAttributes are the SQS message attributes of a delivery: a raw
// delivery keeps the publish's attributes (String.Array travels as
// String), an enveloped one carries them inside the body.
func sqsAttributes(raw bool, attrs queue.MessageAttributes) queue.MessageAttributes {
	if !raw || len(attrs) == 0 {
		return nil
	}
	out := make(queue.MessageAttributes, len(attrs))
	for k, v := range attrs {
		if strings.HasPrefix(v.DataType, "String.Array") {
			v.DataType = "String"
		}
		out[k] = v
	}
	return out
}

// matches applies the subscription's filter policy to a message.
func (s *Subscription) matches(msg string, attrs queue.MessageAttributes) bool {
	if s.scope == snsfilter.ScopeMessageBody {
		return s.filter.MatchBody(msg)
	}
	fa := make(map[string]snsfilter.Attribute, len(attrs))
	for k, v := range attrs {
		fa[k] = snsfilter.Attribute{Type: v.DataType, Value: v.StringValue}
	}
	return s.filter.MatchAttributes(fa)
}

// expireDedup forgets expired deduplication ids once in a while and
// returns the ops that delete their records; t.mu is held.
func (t *Topic) expireDedup(nowMs int64) []queue.Op {
	t.publishes++
	if t.publishes%256 != 0 {
		return nil
	}
	var ops []queue.Op
	for id, d := range t.dedup {
		if d.ExpiresAt <= nowMs {
			delete(t.dedup, id)
			ops = append(ops, deleteRecord(kindDedup, t.rec.Arn+"\x00"+id))
		}
	}
	return ops
}
