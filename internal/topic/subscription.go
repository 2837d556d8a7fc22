package topic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/herald-dev/herald/internal/snsfilter"
	"github.com/herald-dev/herald/internal/uuid"
)

// Subscription is one subscription. It is immutable once published in the
// engine's maps: a change of attributes replaces it, so a publish can use
// the subscriptions it found without holding a lock.
type Subscription struct {
	rec    subRecord
	filter *snsfilter.Policy // nil: every message
	scope  snsfilter.Scope
	raw    bool
	dlq    string        // dead-letter queue ARN, "" for none
	sem    chan struct{} // bounds concurrent HTTP attempts; shared by replacements
}

// Arn returns the subscription's ARN.
func (s *Subscription) Arn() string { return s.rec.Arn }

// subAttributeNames are the attributes Subscribe and SetSubscriptionAttributes
// accept.
var subAttributeNames = map[string]bool{
	"RawMessageDelivery": true, "FilterPolicy": true, "FilterPolicyScope": true,
	"RedrivePolicy": true, "DeliveryPolicy": true, "SubscriptionRoleArn": true,
	"ReplayPolicy": true,
}

// newSubscription compiles a subscription's attributes.
func newSubscription(rec subRecord) (*Subscription, error) {
	s := &Subscription{rec: rec}
	a := rec.Attributes
	s.raw = strings.EqualFold(a["RawMessageDelivery"], "true")
	scope, err := snsfilter.ParseScope(a["FilterPolicyScope"])
	if err != nil {
		return nil, invalid("%s", err.Error())
	}
	s.scope = scope
	if fp := a["FilterPolicy"]; fp != "" {
		if s.filter, err = snsfilter.Parse(fp, scope); err != nil {
			return nil, invalid("%s", err.Error())
		}
	}
	if rp := a["RedrivePolicy"]; rp != "" {
		if s.dlq, err = parseRedrivePolicy(rp); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parseRedrivePolicy returns the dead-letter queue ARN of a RedrivePolicy.
func parseRedrivePolicy(s string) (string, error) {
	var p struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return "", invalid("RedrivePolicy: failed to parse JSON. %v", err)
	}
	parts := strings.Split(p.DeadLetterTargetArn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return "", invalid("RedrivePolicy: deadLetterTargetArn is an invalid arn")
	}
	return p.DeadLetterTargetArn, nil
}

// validateSubAttribute checks one attribute for a subscription of topic t.
// The error's reason is worded as SetSubscriptionAttributes words it.
func (e *Engine) validateSubAttribute(t *Topic, protocol, name, value string) error {
	if !subAttributeNames[name] {
		return invalid("AttributeName")
	}
	switch name {
	case "RawMessageDelivery":
		if !strings.EqualFold(value, "true") && !strings.EqualFold(value, "false") {
			return invalid("RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
	case "FilterPolicyScope":
		if _, err := snsfilter.ParseScope(value); err != nil {
			return invalid("%s", err.Error())
		}
	case "RedrivePolicy":
		if value == "" {
			return nil
		}
		arn, err := parseRedrivePolicy(value)
		if err != nil {
			return err
		}
		if t.fifo && !strings.HasSuffix(arn, ".fifo") {
			return invalid("RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")
		}
	case "DeliveryPolicy":
		if value != "" {
			if _, err := parseSubDeliveryPolicy(value); err != nil {
				return err
			}
		}
	}
	return nil
}

// withAttributes returns a copy of attrs with name set to value, compiled
// as a subscription, or the error (filter policies are checked here, with
// their scope).
func compileWith(rec subRecord, name, value string) (*Subscription, error) {
	rec.Attributes = maps.Clone(rec.Attributes)
	if rec.Attributes == nil {
		rec.Attributes = map[string]string{}
	}
	if name == "RawMessageDelivery" {
		value = strings.ToLower(value)
	}
	if value == "" {
		delete(rec.Attributes, name)
	} else {
		rec.Attributes[name] = value
	}
	return newSubscription(rec)
}

func newToken() string {
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string { return uuid.NewV4() }

// Subscribe subscribes an endpoint to a topic. SQS subscriptions are
// confirmed at once; HTTP(S) subscriptions are sent a
// SubscriptionConfirmation and stay pending until confirmed. It returns the
// subscription ARN, or "pending confirmation" for a pending one unless
// returnArn.
func (e *Engine) Subscribe(ctx context.Context, topicArn, protocol, endpoint string, attrs map[string]string, returnArn bool) (string, error) {
	if _, err := e.parseTopicArn("TopicArn", topicArn); err != nil {
		return "", err
	}
	switch protocol {
	case "sqs", "http", "https":
	default:
		return "", invalid("Amazon SNS does not support this protocol string: %s", protocol)
	}
	if err := e.validateEndpoint(protocol, endpoint); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.topics[topicArn]
	if t == nil {
		return "", errNoTopic()
	}
	if t.fifo && protocol != "sqs" {
		return "", invalid("Invalid parameter: Endpoint Reason: FIFO topics deliver only to Amazon SQS queues")
	}
	if protocol == "sqs" {
		fifoQueue := strings.HasSuffix(endpoint, ".fifo")
		if fifoQueue && !t.fifo {
			return "", invalid("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
		}
	}
	clean := map[string]string{}
	for k, v := range attrs {
		if err := e.validateSubAttribute(t, protocol, k, v); err != nil {
			return "", reasonOfAttributes(err)
		}
		if k == "RawMessageDelivery" {
			v = strings.ToLower(v)
		}
		clean[k] = v
	}
	for _, s := range t.subs {
		if s.rec.Protocol == protocol && s.rec.Endpoint == endpoint {
			for k, v := range clean {
				if s.rec.Attributes[k] != v {
					return "", invalid("Attributes Reason: Subscription already exists with different attributes")
				}
			}
			if !s.rec.Confirmed && !returnArn {
				return "pending confirmation", nil
			}
			return s.rec.Arn, nil
		}
	}
	rec := subRecord{
		Arn: topicArn + ":" + newUUID(), TopicArn: topicArn, Owner: e.opts.Account,
		Protocol: protocol, Endpoint: endpoint, Attributes: clean, Seq: e.nextSeq(),
	}
	if protocol == "sqs" {
		rec.Confirmed = true
	} else {
		rec.Token = newToken()
	}
	s, err := newSubscription(rec)
	if err != nil {
		return "", reasonOfAttributes(err)
	}
	s.sem = make(chan struct{}, e.opts.PerSubscription)
	ops := opsOf(putRecord(kindSub, rec.Arn, rec))
	var d *deliveryRecord
	if !rec.Confirmed {
		d = e.confirmationDelivery(t, s, "SubscriptionConfirmation", rec.Token)
		ops = append(ops, putRecord(kindDelivery, deliveryKey(d.ID), d))
	}
	if err := e.queues.ApplyRecords(ctx, ops); err != nil {
		return "", internal(err)
	}
	e.subs[rec.Arn] = s
	t.subs = append(t.subs, s)
	if d != nil {
		e.sched.add(d)
	}
	if !rec.Confirmed && !returnArn {
		return "pending confirmation", nil
	}
	return rec.Arn, nil
}

// reasonOfAttributes rewords a SetSubscriptionAttributes error as Subscribe
// words it: "Invalid parameter: Attributes Reason: ...".
func reasonOfAttributes(err error) error {
	te, ok := err.(*Error)
	if !ok || te.Code != ErrInvalidParameter || !strings.HasPrefix(te.Message, "Invalid parameter: ") {
		return err
	}
	reason := strings.TrimPrefix(te.Message, "Invalid parameter: ")
	if reason == "AttributeName" {
		return err
	}
	if strings.HasPrefix(reason, "Invalid parameter: ") || strings.HasPrefix(reason, "Filter policy scope") {
		return err
	}
	return &Error{Code: te.Code, Message: "Invalid parameter: Attributes Reason: " + reason, Err: te.Err}
}

func (e *Engine) validateEndpoint(protocol, endpoint string) error {
	switch protocol {
	case "sqs":
		parts := strings.Split(endpoint, ":")
		if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
			return invalid("SQS endpoint ARN")
		}
	case "http", "https":
		if !strings.HasPrefix(strings.ToLower(endpoint), protocol+"://") || len(endpoint) <= len(protocol)+3 {
			return invalid("Endpoint must match the specified protocol")
		}
	}
	return nil
}

// ConfirmSubscription confirms the pending subscription of topicArn that
// was sent token, and returns its ARN. Confirming twice is harmless.
func (e *Engine) ConfirmSubscription(ctx context.Context, topicArn, token string, authOnUnsubscribe bool) (string, error) {
	if _, err := e.parseTopicArn("TopicArn", topicArn); err != nil {
		return "", err
	}
	if token == "" {
		return "", invalid("Token")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.topics[topicArn]
	if t == nil {
		return "", errNoTopic()
	}
	for i, s := range t.subs {
		if s.rec.Token != token {
			continue
		}
		if s.rec.Confirmed {
			return s.rec.Arn, nil
		}
		rec := s.rec
		rec.Confirmed = true
		rec.AuthUnsub = authOnUnsubscribe
		if err := e.queues.ApplyRecords(ctx, opsOf(putRecord(kindSub, rec.Arn, rec))); err != nil {
			return "", internal(err)
		}
		ns := *s
		ns.rec = rec
		e.subs[rec.Arn] = &ns
		t.subs[i] = &ns
		return rec.Arn, nil
	}
	return "", invalid("Token")
}

// Unsubscribe deletes a subscription. A confirmed HTTP(S) endpoint is sent
// an UnsubscribeConfirmation. A subscription that does not exist is not an
// error.
func (e *Engine) Unsubscribe(ctx context.Context, arn string) error {
	topicArn, err := parseSubArn(arn)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.subs[arn]
	if s == nil {
		return nil // as in SNS: unsubscribing twice succeeds
	}
	t := e.topics[topicArn]
	ops := opsOf(deleteRecord(kindSub, arn))
	var d *deliveryRecord
	if t != nil && s.rec.Confirmed && s.rec.Protocol != "sqs" {
		d = e.confirmationDelivery(t, s, "UnsubscribeConfirmation", newToken())
		ops = append(ops, putRecord(kindDelivery, deliveryKey(d.ID), d))
	}
	if err := e.queues.ApplyRecords(ctx, ops); err != nil {
		return internal(err)
	}
	delete(e.subs, arn)
	if t != nil {
		t.subs = slices.DeleteFunc(t.subs, func(x *Subscription) bool { return x.rec.Arn == arn })
	}
	if d != nil {
		e.sched.add(d)
	}
	return nil
}

// SubscriptionInfo is one row of ListSubscriptions.
type SubscriptionInfo struct {
	SubscriptionArn, Owner, Protocol, Endpoint, TopicArn string
}

func info(s *Subscription) SubscriptionInfo {
	arn := s.rec.Arn
	if !s.rec.Confirmed {
		arn = "PendingConfirmation"
	}
	return SubscriptionInfo{arn, s.rec.Owner, s.rec.Protocol, s.rec.Endpoint, s.rec.TopicArn}
}

// ListSubscriptions lists every subscription, 100 a page.
func (e *Engine) ListSubscriptions(token string) ([]SubscriptionInfo, string, error) {
	e.mu.RLock()
	all := slices.Collect(maps.Values(e.subs))
	e.mu.RUnlock()
	return pageSubs(all, token)
}

// ListSubscriptionsByTopic lists a topic's subscriptions, 100 a page.
func (e *Engine) ListSubscriptionsByTopic(topicArn, token string) ([]SubscriptionInfo, string, error) {
	if _, err := e.parseTopicArn("TopicArn", topicArn); err != nil {
		return nil, "", err
	}
	e.mu.RLock()
	t := e.topics[topicArn]
	if t == nil {
		e.mu.RUnlock()
		return nil, "", errNoTopic()
	}
	all := slices.Clone(t.subs)
	e.mu.RUnlock()
	return pageSubs(all, token)
}

func pageSubs(all []*Subscription, token string) ([]SubscriptionInfo, string, error) {
	slices.SortFunc(all, func(a, b *Subscription) int { return int(a.rec.Seq - b.rec.Seq) })
	idx := make([]string, len(all))
	for i := range all {
		idx[i] = all[i].rec.Arn
	}
	pg, next, err := page(idx, token, 100)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if token != "" {
		start, _ = decodeToken(token)
	}
	out := make([]SubscriptionInfo, len(pg))
	for i := range pg {
		out[i] = info(all[start+i])
	}
	return out, next, nil
}

// SubscriptionAttributes returns every attribute of a subscription.
func (e *Engine) SubscriptionAttributes(arn string) (map[string]string, error) {
	if _, err := parseSubArn(arn); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.subs[arn]
	if s == nil {
		return nil, errNoSubscription()
	}
	out := maps.Clone(s.rec.Attributes)
	if out == nil {
		out = map[string]string{}
	}
	out["SubscriptionArn"] = s.rec.Arn
	out["TopicArn"] = s.rec.TopicArn
	out["Owner"] = s.rec.Owner
	out["Protocol"] = s.rec.Protocol
	out["Endpoint"] = s.rec.Endpoint
	out["PendingConfirmation"] = boolString(!s.rec.Confirmed)
	out["ConfirmationWasAuthenticated"] = boolString(s.rec.Confirmed)
	out["RawMessageDelivery"] = boolString(s.raw)
	if _, ok := out["FilterPolicy"]; ok {
		if _, ok := out["FilterPolicyScope"]; !ok {
			out["FilterPolicyScope"] = "MessageAttributes"
		}
	}
	if s.rec.Protocol != "sqs" {
		tp := ""
		if t := e.topics[s.rec.TopicArn]; t != nil {
			tp = t.rec.Attributes["DeliveryPolicy"]
		}
		out["EffectiveDeliveryPolicy"] = effectiveSubDeliveryPolicy(tp, s.rec.Attributes["DeliveryPolicy"])
	}
	return out, nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// SetSubscriptionAttribute sets one attribute of a subscription.
func (e *Engine) SetSubscriptionAttribute(ctx context.Context, arn, name, value string) error {
	if _, err := parseSubArn(arn); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.subs[arn]
	if s == nil {
		return errNoSubscription()
	}
	t := e.topics[s.rec.TopicArn]
	if t == nil {
		return errNoSubscription()
	}
	if err := e.validateSubAttribute(t, s.rec.Protocol, name, value); err != nil {
		return err
	}
	ns, err := compileWith(s.rec, name, value)
	if err != nil {
		return err
	}
	ns.sem = s.sem
	if err := e.queues.ApplyRecords(ctx, opsOf(putRecord(kindSub, arn, ns.rec))); err != nil {
		return internal(err)
	}
	e.subs[arn] = ns
	for i, x := range t.subs {
		if x == s {
			t.subs[i] = ns
		}
	}
	return nil
}
