package topic

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/herald-dev/herald/internal/policy"
	"github.com/herald-dev/herald/internal/queue"
)

// Topic is one SNS topic.
type Topic struct {
	rec  topicRecord
	fifo bool
	subs []*Subscription // in creation order; guarded by Engine.mu

	mu        sync.Mutex // guards dedup, lastSeq and publishes; held through a FIFO publish
	dedup     map[string]dedupRecord
	lastSeq   int64
	publishes int
}

func newTopic(rec topicRecord) *Topic {
	return &Topic{rec: rec, fifo: rec.Attributes["FifoTopic"] == "true", dedup: map[string]dedupRecord{}}
}

// Arn returns the topic's ARN.
func (t *Topic) Arn() string { return t.rec.Arn }

// Fifo reports whether the topic is a FIFO topic.
func (t *Topic) Fifo() bool { return t.fifo }

func (t *Topic) sortSubs() {
	slices.SortFunc(t.subs, func(a, b *Subscription) int { return int(a.rec.Seq - b.rec.Seq) })
}

// topicArn builds the ARN of a topic of this engine.
func (e *Engine) topicArn(name string) string {
	return "arn:aws:sns:" + e.opts.Region + ":" + e.opts.Account + ":" + name
}

// validTopicName: 1 to 256 of A-Z a-z 0-9 - _, and a FIFO topic's ".fifo".
func validTopicName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if len(name) > 256 || base == "" {
		return false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CreateTopic creates a topic, or returns the ARN of the existing topic of
// that name when its attributes and tags are the ones given.
func (e *Engine) CreateTopic(ctx context.Context, name string, attrs, tags map[string]string) (string, error) {
	if name == "" || !validTopicName(name) {
		return "", invalid("Topic Name")
	}
	fifo := false
	if v, ok := attrs["FifoTopic"]; ok {
		b, err := parseBool("FifoTopic", v)
		if err != nil {
			return "", err
		}
		fifo = b
	}
	switch suffix := strings.HasSuffix(name, ".fifo"); {
	case suffix && !fifo:
		return "", invalid("Topic Name") // a standard topic's name has no '.'
	case fifo && !suffix:
		return "", invalid("Fifo Topic names must end with .fifo and Standard Topic names must not")
	}
	clean := map[string]string{}
	for k, v := range attrs {
		if k == "FifoTopic" {
			if fifo {
				clean[k] = "true"
			}
			continue
		}
		if err := validateTopicAttribute(k, v, fifo, true); err != nil {
			return "", err
		}
		clean[k] = v
	}
	if err := validateTags(tags); err != nil {
		return "", err
	}
	arn := e.topicArn(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.topics[arn]; t != nil {
		for k, v := range clean {
			if t.rec.Attributes[k] != v {
				return "", invalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		if len(tags) > 0 && !maps.Equal(tags, t.rec.Tags) {
			return "", invalid("Tags Reason: Topic already exists with different tags")
		}
		return arn, nil
	}
	rec := topicRecord{
		Arn: arn, Account: e.opts.Account, Name: name, Attributes: clean, Tags: maps.Clone(tags),
		Created: e.now().UnixMilli(), Seq: e.nextSeq(),
	}
	if err := e.queues.ApplyRecords(ctx, opsOf(putRecord(kindTopic, arn, rec))); err != nil {
		return "", internal(err)
	}
	e.topics[arn] = newTopic(rec)
	return arn, nil
}

// DeleteTopic deletes a topic and its subscriptions. Deleting a topic that
// does not exist succeeds, as in SNS.
func (e *Engine) DeleteTopic(ctx context.Context, arn string) error {
	if _, err := e.parseTopicArn("TopicArn", arn); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.topics[arn]
	if t == nil {
		return nil
	}
	ops := opsOf(deleteRecord(kindTopic, arn))
	for _, s := range t.subs {
		ops = append(ops, deleteRecord(kindSub, s.rec.Arn))
	}
	t.mu.Lock()
	for id := range t.dedup {
		ops = append(ops, deleteRecord(kindDedup, arn+"\x00"+id))
	}
	t.mu.Unlock()
	if err := e.queues.ApplyRecords(ctx, ops); err != nil {
		return internal(err)
	}
	delete(e.topics, arn)
	for _, s := range t.subs {
		delete(e.subs, s.rec.Arn)
	}
	return nil
}

// ListTopics returns the ARNs of the topics after the token, at most 100,
// and the token of the next page ("" on the last).
func (e *Engine) ListTopics(token string) ([]string, string, error) {
	e.mu.RLock()
	arns := make([]string, 0, len(e.topics))
	for arn := range e.topics {
		arns = append(arns, arn)
	}
	e.mu.RUnlock()
	slices.Sort(arns)
	return page(arns, token, 100)
}

// page returns up to n items after the one that token names.
func page(items []string, token string, n int) ([]string, string, error) {
	start := 0
	if token != "" {
		i, err := decodeToken(token)
		if err != nil || i > len(items) {
			return nil, "", invalid("NextToken")
		}
		start = i
	}
	end := min(start+n, len(items))
	next := ""
	if end < len(items) {
		next = encodeToken(end)
	}
	return items[start:end], next, nil
}

func encodeToken(i int) string { return "t" + strconv.Itoa(i) }

func decodeToken(s string) (int, error) {
	return strconv.Atoi(strings.TrimPrefix(s, "t"))
}

// Topic returns the topic of arn.
func (e *Engine) Topic(arn string) (*Topic, error) {
	if _, err := e.parseTopicArn("TopicArn", arn); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if t := e.topics[arn]; t != nil {
		return t, nil
	}
	return nil, errNoTopic()
}

// TopicPolicy returns a topic's access policy (the default one SNS gives a
// topic when none was set) and whether the topic exists, without
// computing the other attributes: authorization reads it on every request.
func (e *Engine) TopicPolicy(arn string) (string, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t := e.topics[arn]
	if t == nil {
		return "", false
	}
	if p, ok := t.rec.Attributes["Policy"]; ok {
		return p, true
	}
	return defaultTopicPolicy(arn, t.rec.Account), true
}

// TopicAttributes returns every attribute of a topic, computed ones included.
func (e *Engine) TopicAttributes(arn string) (map[string]string, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, err := e.parseTopicArn("TopicArn", arn); err != nil {
		return nil, err
	}
	t := e.topics[arn]
	if t == nil {
		return nil, errNoTopic()
	}
	out := maps.Clone(t.rec.Attributes)
	if out == nil {
		out = map[string]string{}
	}
	confirmed, pending := 0, 0
	for _, s := range t.subs {
		if s.rec.Confirmed {
			confirmed++
		} else {
			pending++
		}
	}
	out["TopicArn"] = arn
	out["Owner"] = t.rec.Account
	if _, ok := out["Policy"]; !ok {
		out["Policy"] = defaultTopicPolicy(arn, t.rec.Account)
	}
	if _, ok := out["DisplayName"]; !ok {
		out["DisplayName"] = ""
	}
	out["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	out["SubscriptionsPending"] = strconv.Itoa(pending)
	out["SubscriptionsDeleted"] = "0"
	out["EffectiveDeliveryPolicy"] = effectiveTopicDeliveryPolicy(out["DeliveryPolicy"])
	if t.fifo {
		out["FifoTopic"] = "true"
		if _, ok := out["ContentBasedDeduplication"]; !ok {
			out["ContentBasedDeduplication"] = "false"
		}
	}
	return out, nil
}

// SetTopicAttribute sets one attribute of a topic.
func (e *Engine) SetTopicAttribute(ctx context.Context, arn, name, value string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.parseTopicArn("TopicArn", arn); err != nil {
		return err
	}
	t := e.topics[arn]
	if t == nil {
		return errNoTopic()
	}
	if name == "FifoTopic" {
		return invalid("AttributeName")
	}
	if err := validateTopicAttribute(name, value, t.fifo, false); err != nil {
		return err
	}
	rec := t.rec
	rec.Attributes = maps.Clone(rec.Attributes)
	if rec.Attributes == nil {
		rec.Attributes = map[string]string{}
	}
	if value == "" && name != "DisplayName" {
		delete(rec.Attributes, name)
	} else {
		rec.Attributes[name] = value
	}
	return e.saveTopic(ctx, t, rec)
}

// saveTopic persists rec and makes it t's; e.mu is held.
func (e *Engine) saveTopic(ctx context.Context, t *Topic, rec topicRecord) error {
	if err := e.queues.ApplyRecords(ctx, opsOf(putRecord(kindTopic, rec.Arn, rec))); err != nil {
		return internal(err)
	}
	t.rec = rec
	return nil
}

// topicAttributeNames are the attributes CreateTopic and SetTopicAttributes
// accept, besides FifoTopic.
var topicAttributeNames = map[string]bool{
	"Policy": true, "DisplayName": true, "DeliveryPolicy": true, "SignatureVersion": true,
	"TracingConfig": true, "KmsMasterKeyId": true, "ContentBasedDeduplication": true,
	"ArchivePolicy": true, "FifoThroughputScope": true, "DataProtectionPolicy": true,
	"HTTPSuccessFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true, "HTTPFailureFeedbackRoleArn": true,
	"SQSSuccessFeedbackRoleArn": true, "SQSSuccessFeedbackSampleRate": true, "SQSFailureFeedbackRoleArn": true,
	"LambdaSuccessFeedbackRoleArn": true, "LambdaSuccessFeedbackSampleRate": true, "LambdaFailureFeedbackRoleArn": true,
	"FirehoseSuccessFeedbackRoleArn": true, "FirehoseSuccessFeedbackSampleRate": true, "FirehoseFailureFeedbackRoleArn": true,
	"ApplicationSuccessFeedbackRoleArn": true, "ApplicationSuccessFeedbackSampleRate": true, "ApplicationFailureFeedbackRoleArn": true,
}

func validateTopicAttribute(name, value string, fifo, creating bool) error {
	if !topicAttributeNames[name] {
		if creating {
			return invalid("Attributes Reason: Invalid attribute name: %s", name)
		}
		return invalid("AttributeName")
	}
	switch name {
	case "Policy", "DataProtectionPolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return invalid("%s Error: null", name)
		}
		if name == "Policy" && value != "" {
			if len(value) > policy.SNSMaxPolicyBytes {
				return invalid("Policy Error: the policy is %d bytes; the most is %d", len(value), policy.SNSMaxPolicyBytes)
			}
			p, err := policy.Parse(value)
			if err == nil {
				err = p.CheckLimits(policy.SNSLimits)
			}
			if err != nil {
				return invalid("Policy Error: %s", err.Error())
			}
		}
	case "DisplayName":
		if len(value) > 100 {
			return invalid("DisplayName Reason: must be at most 100 characters long")
		}
	case "DeliveryPolicy":
		if value != "" {
			if _, err := parseTopicDeliveryPolicy(value); err != nil {
				return err
			}
		}
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return invalid("SignatureVersion Reason: SignatureVersion must be 1 or 2")
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return invalid("TracingConfig Reason: Value must be PassThrough or Active")
		}
	case "ContentBasedDeduplication":
		if !fifo {
			return invalid("ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics")
		}
		if _, err := parseBool(name, value); err != nil {
			return err
		}
	case "ArchivePolicy":
		if !fifo {
			return invalid("ArchivePolicy Reason: The request includes ArchivePolicy parameter that is not valid for this topic type")
		}
		if value != "" && !json.Valid([]byte(value)) {
			return invalid("ArchivePolicy Reason: failed to parse JSON")
		}
	case "FifoThroughputScope":
		if !fifo {
			return invalid("FifoThroughputScope Reason: The request includes FifoThroughputScope parameter that is not valid for this topic type")
		}
		if value != "Topic" && value != "MessageGroup" {
			return invalid("FifoThroughputScope Reason: Invalid value [%s]. Please use either Topic or MessageGroup", value)
		}
	}
	return nil
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid("Attributes Reason: %s: Invalid value [%s]. Must be true or false.", name, v)
}

// policyStatement is one statement of an access policy, in the field order
// AWS writes.
type policyStatement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal"`
	Action    any            `json:"Action"`
	Resource  string         `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// policyDocument is an access policy, in the field order AWS writes.
type policyDocument struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

// defaultTopicPolicy is the access policy SNS gives a new topic.
func defaultTopicPolicy(arn, account string) string {
	st, _ := json.Marshal(policyStatement{
		Sid:       "__default_statement_ID",
		Effect:    "Allow",
		Principal: map[string]any{"AWS": "*"},
		Action: []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
			"SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
		Resource:  arn,
		Condition: map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": account}},
	})
	b, _ := json.Marshal(policyDocument{Version: "2008-10-17", ID: "__default_policy_ID", Statement: []json.RawMessage{st}})
	return string(b)
}

func opsOf(ops ...queue.Op) []queue.Op { return ops }
