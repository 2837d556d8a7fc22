package topic

import (
	"context"
	"encoding/json"
	"maps"
)

// snsActions are the action names AddPermission accepts.
var snsActions = map[string]bool{
	"AddPermission": true, "ConfirmSubscription": true, "CreateTopic": true, "DeleteTopic": true,
	"GetTopicAttributes": true, "ListSubscriptions": true, "ListSubscriptionsByTopic": true,
	"ListTopics": true, "Publish": true, "RemovePermission": true, "SetTopicAttributes": true,
	"Subscribe": true, "Unsubscribe": true, "GetSubscriptionAttributes": true,
	"SetSubscriptionAttributes": true, "ListTagsForResource": true, "TagResource": true,
	"UntagResource": true, "*": true,
}

// AddPermission adds a statement labelled label to the topic's policy that
// lets accounts call actions.
func (e *Engine) AddPermission(ctx context.Context, arn, label string, accounts, actions []string) error {
	if label == "" {
		return invalid("Label")
	}
	if len(accounts) == 0 {
		return invalid("AWSAccountId")
	}
	if len(actions) == 0 {
		return invalid("ActionName")
	}
	for _, a := range actions {
		if !snsActions[a] {
			return invalid("Policy statement action out of service scope!")
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.topicLocked(arn)
	if err != nil {
		return err
	}
	doc, stmts := e.policyOf(t)
	for _, s := range stmts {
		if s.Sid == label {
			return invalid("Statement already exists")
		}
	}
	principals := make([]string, len(accounts))
	for i, a := range accounts {
		principals[i] = "arn:aws:iam::" + a + ":root"
	}
	var principal any = principals
	if len(principals) == 1 {
		principal = principals[0]
	}
	acts := make([]string, len(actions))
	for i, a := range actions {
		acts[i] = "SNS:" + a
	}
	var action any = acts
	if len(acts) == 1 {
		action = acts[0]
	}
	st, _ := json.Marshal(policyStatement{Sid: label, Effect: "Allow", Principal: map[string]any{"AWS": principal}, Action: action, Resource: arn})
	doc.Statement = append(doc.Statement, st)
	return e.setPolicy(ctx, t, doc)
}

// RemovePermission removes the statement labelled label from the topic's
// policy.
func (e *Engine) RemovePermission(ctx context.Context, arn, label string) error {
	if label == "" {
		return invalid("Label")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.topicLocked(arn)
	if err != nil {
		return err
	}
	doc, stmts := e.policyOf(t)
	kept := doc.Statement[:0]
	for i, s := range stmts {
		if s.Sid != label {
			kept = append(kept, doc.Statement[i])
		}
	}
	doc.Statement = kept
	return e.setPolicy(ctx, t, doc)
}

func (e *Engine) topicLocked(arn string) (*Topic, error) {
	if _, err := e.parseTopicArn("TopicArn", arn); err != nil {
		return nil, err
	}
	t := e.topics[arn]
	if t == nil {
		return nil, errNoTopic()
	}
	return t, nil
}

// policyOf returns the topic's policy (its default if none was set) and
// the Sid of each statement.
func (e *Engine) policyOf(t *Topic) (policyDocument, []struct{ Sid string }) {
	src := t.rec.Attributes["Policy"]
	if src == "" {
		src = defaultTopicPolicy(t.rec.Arn, t.rec.Account)
	}
	var doc policyDocument
	if json.Unmarshal([]byte(src), &doc) != nil || doc.Version == "" {
		doc = policyDocument{Version: "2008-10-17"}
	}
	sids := make([]struct{ Sid string }, len(doc.Statement))
	for i, raw := range doc.Statement {
		_ = json.Unmarshal(raw, &sids[i])
	}
	return doc, sids
}

func (e *Engine) setPolicy(ctx context.Context, t *Topic, doc policyDocument) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return internal(err)
	}
	rec := t.rec
	rec.Attributes = maps.Clone(rec.Attributes)
	if rec.Attributes == nil {
		rec.Attributes = map[string]string{}
	}
	rec.Attributes["Policy"] = string(b)
	return e.saveTopic(ctx, t, rec)
}
