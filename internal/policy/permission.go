package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of AddPermission and RemovePermission. SQS reports them as
// InvalidParameterValue "Value <label> for parameter Label is invalid.
// Reason: Already exists." / "... Reason: can't find label."; SNS reports a
// duplicate as InvalidParameter "Invalid parameter: Statement already exists".
var (
	ErrLabelExists   = errors.New("a statement with this label already exists")
	ErrLabelNotFound = errors.New("no statement has this label")
)

// SQSDefaultID returns the policy Id SQS gives the policy it creates for a
// queue: "<queue ARN>/SQSDefaultPolicy".
func SQSDefaultID(queueARN string) string { return queueARN + "/SQSDefaultPolicy" }

// SNSDefaultID is the Id of the policy SNS gives every new topic.
const SNSDefaultID = "__default_policy_ID"

// SNSTopicActions are the actions SNS accepts in a topic policy, in the order
// of its default policy; anything else is "Policy statement action out of
// service scope!".
var SNSTopicActions = []string{
	"GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission",
	"DeleteTopic", "Subscribe", "ListSubscriptionsByTopic", "Publish",
}

// DefaultTopicPolicy returns the policy SNS attaches to a new topic: every
// principal may use the topic actions provided the request's
// AWS:SourceOwner is the topic owner's account.
func DefaultTopicPolicy(topicARN, ownerAccount string) *Policy {
	acts := make([]string, len(SNSTopicActions))
	for i, a := range SNSTopicActions {
		acts[i] = "SNS:" + a
	}
	p := New(SNSDefaultID)
	s := statement{
		sid: "__default_statement_ID", hasSid: true,
		principal:    &principal{entries: []principalEntry{{typ: "AWS", vals: strList{vals: []string{"*"}}}}, anyone: true},
		actions:      strList{vals: acts, list: true},
		resources:    strList{vals: []string{topicARN}},
		resourcePats: []arnPattern{compileARN(topicARN)},
		hasCondition: true,
	}
	for _, a := range acts {
		s.actionPats = append(s.actionPats, strings.ToLower(a))
	}
	c := condition{op: "StringEquals", keyRaw: "AWS:SourceOwner", key: "aws:sourceowner",
		values: []condValue{{s: ownerAccount}}, kind: opString}
	_ = c.compile() // strings always compile
	s.conditions = []condition{c}
	p.statements = []statement{s}
	return p
}

// AddPermission appends the statement SQS AddPermission (service "sqs") or
// SNS AddPermission (service "sns") creates: Sid label, Effect Allow,
// Principal {"AWS": root ARN of each account}, Action "<SQS|SNS>:<action>" for
// each action, Resource the queue or topic ARN. A single principal or action
// is written as a string, several as a list, as the services do. accounts
// are 12-digit account ids (or IAM principal ARNs, kept as given); actions
// are API action names such as "SendMessage" or "*" (a value that already has
// a service prefix is kept). The caller checks the service's own rules (the
// actions it accepts, its limits) before or after.
func (p *Policy) AddPermission(label string, accounts, actions []string, resource, service string) error {
	var prefix string
	switch strings.ToLower(service) {
	case "sqs":
		prefix = "SQS:"
	case "sns":
		prefix = "SNS:"
	default:
		return fmt.Errorf("unknown service %q (want sqs or sns)", service)
	}
	if label == "" {
		return errors.New("label is required")
	}
	for _, s := range p.statements {
		if s.sid == label {
			return ErrLabelExists
		}
	}
	if len(accounts) == 0 {
		return errors.New("at least one account is required")
	}
	if len(actions) == 0 {
		return errors.New("at least one action is required")
	}
	if !validARN(resource) {
		return fmt.Errorf("invalid resource ARN %q", resource)
	}
	s := statement{sid: label, hasSid: true, principal: &principal{}}
	vals := strList{list: len(accounts) > 1}
	for _, a := range accounts {
		v, err := s.principal.add("AWS", a)
		if err != nil {
			return err
		}
		vals.vals = append(vals.vals, v)
	}
	s.principal.entries = []principalEntry{{typ: "AWS", vals: vals}}
	s.actions.list = len(actions) > 1
	for _, a := range actions {
		if !strings.Contains(a, ":") {
			a = prefix + a
		}
		if !validAction(a) {
			return fmt.Errorf("invalid action %q", a)
		}
		s.actions.vals = append(s.actions.vals, a)
		s.actionPats = append(s.actionPats, strings.ToLower(a))
	}
	s.resources = strList{vals: []string{resource}}
	s.resourcePats = []arnPattern{compileARN(resource)}
	p.statements = append(p.statements, s)
	if len(p.statements) > 1 {
		p.stmtList = true
	}
	return nil
}

// RemovePermission removes the statement whose Sid is label. The policy may
// be left with no statements (Len() == 0); SQS then removes the Policy
// attribute altogether.
func (p *Policy) RemovePermission(label string) error {
	for i, s := range p.statements {
		if s.sid == label && s.hasSid {
			p.statements = append(p.statements[:i:i], p.statements[i+1:]...)
			return nil
		}
	}
	return ErrLabelNotFound
}

// Limits are a service's policy quotas. Bytes and Statements apply to the
// whole policy; Principals, Actions and Conditions to each statement (the
// services' documentation does not say; per statement is the lenient
// reading). Zero means unchecked.
type Limits struct {
	Bytes      int // size of the document as submitted; checked by the caller
	Statements int
	Principals int
	Actions    int
	Conditions int
}

// Policy size limits, in bytes of the submitted document.
const (
	SQSMaxPolicyBytes = 8192
	SNSMaxPolicyBytes = 30 * 1024 // documented as "30 kb"
)

var (
	// SQSLimits are the Amazon SQS policy quotas: 8,192 bytes, 20
	// statements, 50 principals, 7 actions and 10 conditions.
	SQSLimits = Limits{Bytes: SQSMaxPolicyBytes, Statements: 20, Principals: 50, Actions: 7, Conditions: 10}
	// SNSLimits are the Amazon SNS topic policy quotas: 30 KB, 100
	// statements, 200 principals.
	SNSLimits = Limits{Bytes: SNSMaxPolicyBytes, Statements: 100, Principals: 200}
)

// CheckLimits reports the first quota the policy exceeds (all but Bytes,
// which concerns the submitted text: compare len(doc) with l.Bytes).
func (p *Policy) CheckLimits(l Limits) error {
	if l.Statements > 0 && len(p.statements) > l.Statements {
		return docErr("Statement", "has %d statements, more than the limit of %d", len(p.statements), l.Statements)
	}
	for i := range p.statements {
		s := &p.statements[i]
		fail := func(field, what string, n, max int) error {
			return &Error{Statement: i, Sid: s.sid, Field: field, Msg: fmt.Sprintf("has %d %s, more than the limit of %d", n, what, max)}
		}
		if n := s.principal.count(); l.Principals > 0 && n > l.Principals {
			return fail("Principal", "principals", n, l.Principals)
		}
		if n := len(s.actions.vals); l.Actions > 0 && n > l.Actions {
			return fail("Action", "actions", n, l.Actions)
		}
		if n := len(s.conditions); l.Conditions > 0 && n > l.Conditions {
			return fail("Condition", "conditions", n, l.Conditions)
		}
	}
	return nil
}
