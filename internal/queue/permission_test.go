package queue_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
)

type policy struct {
	Version   string
	ID        string `json:"Id"`
	Statement []map[string]any
}

func readPolicy(t *testing.T, q *queue.Queue) *policy {
	t.Helper()
	a, err := q.Attributes([]string{"Policy"})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := a["Policy"]
	if !ok {
		return nil
	}
	var p policy
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		t.Fatalf("Policy %q: %v", s, err)
	}
	return &p
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("perm", nil)
	if p := readPolicy(t, q); p != nil {
		t.Fatalf("new queue has a policy: %+v", p)
	}
	if err := v.e.AddPermission(v.ctx, q, "one", []string{"111122223333"}, []string{"SendMessage"}); err != nil {
		t.Fatal(err)
	}
	if err := v.e.AddPermission(v.ctx, q, "two_2-x", []string{"111122223333", "444455556666"}, []string{"ReceiveMessage", "DeleteMessage"}); err != nil {
		t.Fatal(err)
	}
	p := readPolicy(t, q)
	if p == nil || p.Version != "2008-10-17" || p.ID != q.Arn()+"/SQSDefaultPolicy" || len(p.Statement) != 2 {
		t.Fatalf("policy %+v", p)
	}
	want := map[string]any{
		"Sid": "one", "Effect": "Allow", "Resource": q.Arn(), "Action": "SQS:SendMessage",
		"Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"},
	}
	if !reflect.DeepEqual(p.Statement[0], want) {
		t.Errorf("statement one = %v, want %v", p.Statement[0], want)
	}
	want = map[string]any{
		"Sid": "two_2-x", "Effect": "Allow", "Resource": q.Arn(),
		"Action":    []any{"SQS:ReceiveMessage", "SQS:DeleteMessage"},
		"Principal": map[string]any{"AWS": []any{"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"}},
	}
	if !reflect.DeepEqual(p.Statement[1], want) {
		t.Errorf("statement two = %v, want %v", p.Statement[1], want)
	}

	wantErr(t, v.e.AddPermission(v.ctx, q, "one", []string{"1"}, []string{"*"}), queue.ErrInvalidParameterValue,
		"Value one for parameter Label is invalid. Reason: Already exists.")
	wantCode(t, v.e.AddPermission(v.ctx, q, "bad label", []string{"1"}, []string{"*"}), queue.ErrInvalidParameterValue)
	wantCode(t, v.e.AddPermission(v.ctx, q, "x", []string{"1"}, []string{"CreateQueue"}), queue.ErrInvalidParameterValue)
	wantCode(t, v.e.AddPermission(v.ctx, q, "", []string{"1"}, []string{"*"}), queue.ErrMissingParameter)
	wantCode(t, v.e.AddPermission(v.ctx, q, "x", nil, []string{"*"}), queue.ErrMissingParameter)
	wantCode(t, v.e.AddPermission(v.ctx, q, "x", []string{"1"}, nil), queue.ErrMissingParameter)
	if p := readPolicy(t, q); len(p.Statement) != 2 {
		t.Errorf("failed AddPermission changed the policy: %+v", p)
	}

	if err := v.e.RemovePermission(v.ctx, q, "one"); err != nil {
		t.Fatal(err)
	}
	if p := readPolicy(t, q); len(p.Statement) != 1 || p.Statement[0]["Sid"] != "two_2-x" {
		t.Errorf("after removing one: %+v", p)
	}
	wantErr(t, v.e.RemovePermission(v.ctx, q, "one"), queue.ErrInvalidParameterValue, "Reason: can't find label.")
	wantCode(t, v.e.RemovePermission(v.ctx, q, ""), queue.ErrMissingParameter)
	if err := v.e.RemovePermission(v.ctx, q, "two_2-x"); err != nil {
		t.Fatal(err)
	}
	if p := readPolicy(t, q); p != nil {
		t.Errorf("policy after removing every statement: %+v", p)
	}
}

// AddPermission edits a Policy set through SetQueueAttributes, keeping its
// statements, and the result round-trips through CreateQueue.
func TestAddPermissionToExistingPolicy(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("perm2", nil)
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"mine","Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*"}]}`
	if err := v.e.SetAttributes(v.ctx, q, map[string]string{"Policy": doc}); err != nil {
		t.Fatal(err)
	}
	if err := v.e.AddPermission(v.ctx, q, "added", []string{"111122223333"}, []string{"*"}); err != nil {
		t.Fatal(err)
	}
	p := readPolicy(t, q)
	if p.Version != "2012-10-17" || len(p.Statement) != 2 || p.Statement[0]["Sid"] != "mine" || p.Statement[1]["Action"] != "SQS:*" {
		t.Errorf("policy %+v", p)
	}
	wantErr(t, v.e.AddPermission(v.ctx, q, "mine", []string{"1"}, []string{"*"}), queue.ErrInvalidParameterValue, "Already exists.")
	a, _ := q.Attributes([]string{"Policy"})
	if again, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "perm2", Attributes: a}); err != nil || again != q {
		t.Errorf("CreateQueue with the current Policy: %v", err)
	}
}
