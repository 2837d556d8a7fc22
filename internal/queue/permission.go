package queue

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

var labelRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// permissionActions are the action names AddPermission accepts.
var permissionActions = map[string]bool{
	"*": true, "SendMessage": true, "ReceiveMessage": true, "DeleteMessage": true,
	"ChangeMessageVisibility": true, "GetQueueAttributes": true, "GetQueueUrl": true,
	"ListDeadLetterSourceQueues": true, "PurgeQueue": true, "ListQueueTags": true,
}

type policyDoc struct {
	Version   string           `json:"Version"`
	ID        string           `json:"Id,omitempty"`
	Statement []map[string]any `json:"Statement"`
}

// AddPermission adds a statement with Sid label to q's Policy, allowing the
// accounts to call the actions, as SQS does.
func (e *Engine) AddPermission(ctx context.Context, q *Queue, label string, accounts, actions []string) error {
	if label == "" {
		return errMissing("Label")
	}
	if len(accounts) == 0 {
		return errMissing("AWSAccountId.1")
	}
	if len(actions) == 0 {
		return errMissing("ActionName.1")
	}
	if !labelRE.MatchString(label) {
		return errInvalidParam("Label", label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	for _, a := range actions {
		if !permissionActions[a] {
			return errInvalidParam("ActionName", a, "Only the queue owner is allowed to invoke this action.")
		}
	}
	return e.editPolicy(ctx, q, func(doc *policyDoc) error {
		for _, st := range doc.Statement {
			if st["Sid"] == label {
				return errInvalidParam("Label", label, "Already exists.")
			}
		}
		principals := make([]string, len(accounts))
		for i, a := range accounts {
			principals[i] = "arn:aws:iam::" + a + ":root"
		}
		acts := make([]string, len(actions))
		for i, a := range actions {
			acts[i] = "SQS:" + a
		}
		var principal, action any = principals, acts
		if len(principals) == 1 {
			principal = principals[0]
		}
		if len(acts) == 1 {
			action = acts[0]
		}
		doc.Statement = append(doc.Statement, map[string]any{
			"Sid":       label,
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": principal},
			"Action":    action,
			"Resource":  q.arn,
		})
		return nil
	})
}

// RemovePermission removes the statement with Sid label from q's Policy.
func (e *Engine) RemovePermission(ctx context.Context, q *Queue, label string) error {
	if label == "" {
		return errMissing("Label")
	}
	return e.editPolicy(ctx, q, func(doc *policyDoc) error {
		for i, st := range doc.Statement {
			if st["Sid"] == label {
				doc.Statement = append(doc.Statement[:i], doc.Statement[i+1:]...)
				return nil
			}
		}
		return errInvalidParam("Label", label, "can't find label.")
	})
}

func (e *Engine) editPolicy(ctx context.Context, q *Queue, edit func(*policyDoc) error) error {
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return errNoQueue()
	}
	doc := &policyDoc{Version: "2008-10-17", ID: q.arn + "/SQSDefaultPolicy"}
	if cur := strings.TrimSpace(q.rec.Attributes[AttrPolicy]); cur != "" {
		if err := json.Unmarshal([]byte(cur), doc); err != nil {
			q.mu.Unlock()
			return Errorf(ErrInvalidAttributeValue, "Invalid value for the parameter Policy. Reason: the current policy is not valid JSON.")
		}
	}
	if err := edit(doc); err != nil {
		q.mu.Unlock()
		return err
	}
	if len(doc.Statement) == 0 {
		q.rec.Attributes[AttrPolicy] = ""
	} else {
		b, _ := json.Marshal(doc)
		q.rec.Attributes[AttrPolicy] = string(b)
	}
	q.rec.ModifiedAt = e.now().Unix()
	rec := cloneRecord(&q.rec)
	q.mu.Unlock()
	return e.apply(ctx, []Op{{Kind: OpPutQueue, Queue: rec}})
}
