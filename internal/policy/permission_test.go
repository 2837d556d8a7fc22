package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestAddPermissionSQS(t *testing.T) {
	p := New(SQSDefaultID(queueARN))
	if err := p.AddPermission("one", []string{other}, []string{"SendMessage"}, queueARN, "sqs"); err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2008-10-17","Id":"arn:aws:sqs:us-east-1:123456789012:orders/SQSDefaultPolicy","Statement":[` +
		`{"Sid":"one","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"SQS:SendMessage",` +
		`"Resource":"arn:aws:sqs:us-east-1:123456789012:orders"}]}`
	if got := p.JSON(); got != want {
		t.Fatalf("JSON:\n got %s\nwant %s", got, want)
	}
	if err := p.AddPermission("two", []string{other, "444455556666"}, []string{"ReceiveMessage", "DeleteMessage"}, queueARN, "SQS"); err != nil {
		t.Fatal(err)
	}
	want = strings.TrimSuffix(want, "]}") + `,{"Sid":"two","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root",` +
		`"arn:aws:iam::444455556666:root"]},"Action":["SQS:ReceiveMessage","SQS:DeleteMessage"],` +
		`"Resource":"arn:aws:sqs:us-east-1:123456789012:orders"}]}`
	if got := p.JSON(); got != want {
		t.Fatalf("JSON:\n got %s\nwant %s", got, want)
	}
	cases := []evalCase{
		{"bob sends", send(bob), Allow},
		{"bob receives", with(send(bob), func(r *Request) { r.Action = "sqs:ReceiveMessage" }), Allow},
		{"bob purges", with(send(bob), func(r *Request) { r.Action = "sqs:PurgeQueue" }), NotApplicable},
		{"third account receives", with(send("arn:aws:iam::444455556666:user/x"), func(r *Request) { r.Action = "sqs:DeleteMessage" }), Allow},
		{"third account sends", send("arn:aws:iam::444455556666:user/x"), NotApplicable},
		{"alice", send(alice), NotApplicable},
	}
	for _, tc := range cases {
		if got := p.Evaluate(tc.req); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	runEval(t, p.JSON(), cases) // round trip

	if err := p.AddPermission("one", []string{other}, []string{"*"}, queueARN, "sqs"); !errors.Is(err, ErrLabelExists) {
		t.Errorf("duplicate label: %v", err)
	}
	if err := p.RemovePermission("one"); err != nil {
		t.Fatal(err)
	}
	if got := p.Evaluate(send(bob)); got != NotApplicable {
		t.Errorf("after remove: %v", got)
	}
	if err := p.RemovePermission("one"); !errors.Is(err, ErrLabelNotFound) {
		t.Errorf("second remove: %v", err)
	}
	if err := p.RemovePermission("two"); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 0 {
		t.Errorf("Len = %d", p.Len())
	}
}

func TestAddPermissionSNS(t *testing.T) {
	p := DefaultTopicPolicy(topicARN, acct)
	if err := p.AddPermission("pub", []string{other}, []string{"Publish"}, topicARN, "sns"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.JSON(), `{"Sid":"pub","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"SNS:Publish","Resource":"`+topicARN+`"}`) {
		t.Errorf("JSON: %s", p.JSON())
	}
	pub := Request{PrincipalARN: bob, Action: "sns:Publish", Resource: topicARN}
	if got := p.Evaluate(pub); got != Allow {
		t.Errorf("publish: %v", got)
	}
	pub.Action = "sns:Subscribe"
	if got := p.Evaluate(pub); got != NotApplicable {
		t.Errorf("subscribe: %v", got)
	}
	if err := p.RemovePermission("__default_statement_ID"); err != nil {
		t.Fatal(err)
	}
	if got := p.Sids(); fmt.Sprint(got) != "[pub]" {
		t.Errorf("Sids = %q", got)
	}
}

func TestAddPermissionToParsedPolicy(t *testing.T) {
	p, err := Parse(`{"Statement":{"Sid":"x",` + base + `}}`)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Clone()
	if err := q.AddPermission("y", []string{other}, []string{"sqs:ReceiveMessage"}, queueARN, "sqs"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(q.JSON(), `{"Statement":[{"Sid":"x"`) || !strings.Contains(q.JSON(), `"Action":"sqs:ReceiveMessage"`) {
		t.Errorf("JSON: %s", q.JSON())
	}
	if p.Len() != 1 || q.Len() != 2 {
		t.Errorf("Clone shares statements: %d %d", p.Len(), q.Len())
	}
	if err := q.RemovePermission("x"); err != nil {
		t.Fatal(err)
	}
	if p.Sids()[0] != "x" {
		t.Error("RemovePermission changed the original")
	}
}

func TestAddPermissionErrors(t *testing.T) {
	tests := []struct {
		label    string
		accounts []string
		actions  []string
		resource string
		service  string
		want     string
	}{
		{"l", []string{other}, []string{"SendMessage"}, queueARN, "sqs", ""},
		{"l", []string{other}, []string{"SendMessage"}, queueARN, "s3", "unknown service"},
		{"", []string{other}, []string{"SendMessage"}, queueARN, "sqs", "label is required"},
		{"l", nil, []string{"SendMessage"}, queueARN, "sqs", "at least one account"},
		{"l", []string{other}, nil, queueARN, "sqs", "at least one action"},
		{"l", []string{"bob"}, []string{"SendMessage"}, queueARN, "sqs", "invalid principal"},
		{"l", []string{other}, []string{"Send Message"}, queueARN, "sqs", "invalid action"},
		{"l", []string{other}, []string{"SendMessage"}, "orders", "sqs", "invalid resource ARN"},
	}
	for _, tc := range tests {
		err := New("").AddPermission(tc.label, tc.accounts, tc.actions, tc.resource, tc.service)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc, err, tc.want)
		}
	}
}

func TestCheckLimits(t *testing.T) {
	var stmts []string
	for i := range 21 {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"s%d",%s}`, i, base))
	}
	p, err := Parse(`{"Statement":[` + strings.Join(stmts, ",") + `]}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckLimits(SQSLimits); err == nil || !strings.Contains(err.Error(), "21 statements") {
		t.Errorf("statements: %v", err)
	}
	if err := p.CheckLimits(SNSLimits); err != nil {
		t.Errorf("SNS: %v", err)
	}
	p, _ = Parse(stmt(`"Effect":"Allow","Principal":"*","Action":["sqs:A","sqs:B","sqs:C","sqs:D","sqs:E","sqs:F","sqs:G","sqs:H"]`))
	if err := p.CheckLimits(SQSLimits); err == nil || !strings.Contains(err.Error(), "Statement[0].Action: has 8 actions") {
		t.Errorf("actions: %v", err)
	}
	var accts []string
	for i := range 51 {
		accts = append(accts, fmt.Sprintf(`"1000000000%02d"`, i))
	}
	p, _ = Parse(stmt(`"Effect":"Allow","Principal":{"AWS":[` + strings.Join(accts, ",") + `]},"Action":"*"`))
	if err := p.CheckLimits(SQSLimits); err == nil || !strings.Contains(err.Error(), "51 principals") {
		t.Errorf("principals: %v", err)
	}
	var keys []string
	for i := range 11 {
		keys = append(keys, fmt.Sprintf(`"k%d":"v"`, i))
	}
	p, _ = Parse(stmt(base + `,"Condition":{"StringEquals":{` + strings.Join(keys, ",") + `}}`))
	if err := p.CheckLimits(SQSLimits); err == nil || !strings.Contains(err.Error(), "11 conditions") {
		t.Errorf("conditions: %v", err)
	}
	if SQSLimits.Bytes != 8192 || SNSLimits.Bytes != 30720 {
		t.Errorf("byte limits: %d %d", SQSLimits.Bytes, SNSLimits.Bytes)
	}
}
