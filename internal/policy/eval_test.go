package policy

import (
	"testing"
)

const (
	acct     = "123456789012"
	other    = "111122223333"
	queueARN = "arn:aws:sqs:us-east-1:123456789012:orders"
	topicARN = "arn:aws:sns:us-east-1:123456789012:events"
	alice    = "arn:aws:iam::123456789012:user/alice"
	bob      = "arn:aws:iam::111122223333:user/bob"
	mturk    = "arn:aws:iam::755651556756:user/MTurk-SQS"
)

type evalCase struct {
	name string
	req  Request
	want Decision
}

func runEval(t *testing.T, doc string, cases []evalCase) {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, tc := range cases {
		if got := p.Evaluate(tc.req); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func send(principal string) Request {
	return Request{PrincipalARN: principal, Action: "sqs:SendMessage", Resource: queueARN}
}

func with(r Request, f func(*Request)) Request { f(&r); return r }

// The seed: a queue policy letting exactly one principal call SendMessage,
// and only over secure transport.
func TestSeedMTurkPolicy(t *testing.T) {
	doc := `{ "Version": "2008-10-17", "Id": "arn:aws:sqs:us-east-1:123456789012:orders/MTurkOnlyPolicy",
	  "Statement": [ { "Sid": "MTurkOnlyPolicy", "Effect": "Allow",
	    "Principal": { "AWS": "arn:aws:iam::755651556756:user/MTurk-SQS" },
	    "Action": "SQS:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:orders",
	    "Condition": { "Bool": { "aws:SecureTransport": "true" } } } ] }`
	secure := func(v string) func(*Request) {
		return func(r *Request) { r.Context = map[string][]string{"aws:securetransport": {v}} }
	}
	runEval(t, doc, []evalCase{
		{"mturk secure", with(send(mturk), secure("true")), Allow},
		{"mturk insecure", with(send(mturk), secure("false")), NotApplicable},
		{"mturk transport unknown", send(mturk), NotApplicable},
		{"mturk receive", with(with(send(mturk), secure("true")), func(r *Request) { r.Action = "sqs:ReceiveMessage" }), NotApplicable},
		{"mturk lower-case action", with(with(send(mturk), secure("true")), func(r *Request) { r.Action = "SQS:sendmessage" }), Allow},
		{"other user of the account", with(send("arn:aws:iam::755651556756:user/other"), secure("true")), NotApplicable},
		{"account root", with(send("arn:aws:iam::755651556756:root"), secure("true")), NotApplicable},
		{"other queue", with(with(send(mturk), secure("true")), func(r *Request) { r.Resource = queueARN + "-2" }), NotApplicable},
		{"anonymous", with(send(""), secure("true")), NotApplicable},
		{"service", with(with(send(""), secure("true")), func(r *Request) { r.Service = "sns" }), NotApplicable},
	})
}

func TestSNSToSQSPolicies(t *testing.T) {
	fromTopic := func(arn string) func(*Request) {
		return func(r *Request) {
			r.Service = "sns"
			r.Context = map[string][]string{"aws:sourcearn": {arn}, "aws:sourceaccount": {acct}}
		}
	}
	svc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},
		"Action":"sqs:SendMessage","Resource":"` + queueARN + `",
		"Condition":{"ArnEquals":{"aws:SourceArn":"` + topicARN + `"}}}]}`
	runEval(t, svc, []evalCase{
		{"sns from topic", with(send(""), fromTopic(topicARN)), Allow},
		{"sns service spelled in full", with(with(send(""), fromTopic(topicARN)), func(r *Request) { r.Service = "SNS.amazonaws.com" }), Allow},
		{"sns from other topic", with(send(""), fromTopic(topicARN+"-x")), NotApplicable},
		{"sns without source", with(send(""), func(r *Request) { r.Service = "sns" }), NotApplicable},
		{"other service", with(with(send(""), fromTopic(topicARN)), func(r *Request) { r.Service = "events" }), NotApplicable},
		{"user with forged context", with(send(alice), func(r *Request) {
			r.Context = map[string][]string{"aws:sourcearn": {topicARN}}
		}), NotApplicable},
	})
	// The older form: Principal "*" (or {"AWS":"*"}) with the SourceArn
	// condition, as SQS's console and SNS's subscribe wizard write it.
	for _, prin := range []string{`"*"`, `{"AWS":"*"}`} {
		doc := `{"Version":"2008-10-17","Id":"` + queueARN + `/SQSDefaultPolicy","Statement":[{"Sid":"topic-subscription-` + topicARN + `",
			"Effect":"Allow","Principal":` + prin + `,"Action":"SQS:SendMessage","Resource":"` + queueARN + `",
			"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:sns:us-east-1:123456789012:ev*"}}}]}`
		runEval(t, doc, []evalCase{
			{prin + " sns from topic", with(send(""), fromTopic(topicARN)), Allow},
			{prin + " sns from other account", with(send(""), fromTopic("arn:aws:sns:us-east-1:999999999999:events")), NotApplicable},
			{prin + " direct user", send(alice), NotApplicable},
			{prin + " anonymous with source", with(send(""), func(r *Request) {
				r.Context = map[string][]string{"aws:sourcearn": {topicARN}}
			}), Allow},
		})
	}
}

// A queue policy as the SQS console writes it: version 2008-10-17, an
// owner statement naming the account id, and a statement for a role.
func TestConsole2008Policy(t *testing.T) {
	doc := `{
	  "Version": "2008-10-17",
	  "Id": "__default_policy_ID",
	  "Statement": [
	    {"Sid": "__owner_statement", "Effect": "Allow", "Principal": {"AWS": "123456789012"},
	     "Action": "SQS:*", "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"},
	    {"Sid": "__sender_statement", "Effect": "Allow",
	     "Principal": {"AWS": ["arn:aws:iam::111122223333:role/sender"]},
	     "Action": ["SQS:SendMessage"], "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"},
	    {"Sid": "__receiver_statement", "Effect": "Allow",
	     "Principal": {"AWS": ["arn:aws:iam::111122223333:user/bob"]},
	     "Action": ["SQS:ChangeMessageVisibility", "SQS:DeleteMessage", "SQS:ReceiveMessage"],
	     "Resource": "arn:aws:sqs:us-east-1:123456789012:orders"}
	  ]
	}`
	act := func(a string) func(*Request) { return func(r *Request) { r.Action = a } }
	runEval(t, doc, []evalCase{
		{"owner user any action", with(send(alice), act("sqs:PurgeQueue")), Allow},
		{"owner root", send("arn:aws:iam::123456789012:root"), Allow},
		{"owner by account only", with(send(""), func(r *Request) { r.PrincipalAccount = acct }), Allow},
		{"role send", send("arn:aws:iam::111122223333:role/sender"), Allow},
		{"role session send", send("arn:aws:sts::111122223333:assumed-role/sender/s-1"), Allow},
		{"other role session", send("arn:aws:sts::111122223333:assumed-role/other/s-1"), NotApplicable},
		{"role receive", with(send("arn:aws:iam::111122223333:role/sender"), act("sqs:ReceiveMessage")), NotApplicable},
		{"bob receive", with(send(bob), act("sqs:ReceiveMessage")), Allow},
		{"bob send", send(bob), NotApplicable},
		{"other account root", send("arn:aws:iam::111122223333:root"), NotApplicable},
		{"anonymous", send(""), NotApplicable},
	})
	p, _ := Parse(doc)
	want := `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__owner_statement","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"SQS:*","Resource":"arn:aws:sqs:us-east-1:123456789012:orders"},` +
		`{"Sid":"__sender_statement","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/sender"]},` +
		`"Action":["SQS:SendMessage"],"Resource":"arn:aws:sqs:us-east-1:123456789012:orders"},` +
		`{"Sid":"__receiver_statement","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/bob"]},` +
		`"Action":["SQS:ChangeMessageVisibility","SQS:DeleteMessage","SQS:ReceiveMessage"],"Resource":"arn:aws:sqs:us-east-1:123456789012:orders"}]}`
	if got := p.JSON(); got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}

func TestPrincipals(t *testing.T) {
	svc := func(r *Request) { r.Service = "sns"; r.PrincipalARN = "" }
	tests := []struct {
		principal string
		cases     []evalCase
	}{
		{`"*"`, []evalCase{
			{"user", send(alice), Allow}, {"anonymous", send(""), Allow}, {"service", with(send(""), svc), Allow}}},
		{`{"AWS":"*"}`, []evalCase{
			{"user", send(bob), Allow}, {"anonymous", send(""), Allow}, {"service", with(send(""), svc), Allow}}},
		{`{"AWS":"111122223333"}`, []evalCase{
			{"user of account", send(bob), Allow},
			{"root of account", send("arn:aws:iam::111122223333:root"), Allow},
			{"user of other account", send(alice), NotApplicable},
			{"account given separately", with(send("arn:aws:iam::111122223333:role/x"), func(r *Request) { r.PrincipalAccount = other }), Allow},
			{"anonymous", send(""), NotApplicable},
			{"service with account", with(with(send(""), svc), func(r *Request) { r.PrincipalAccount = other }), NotApplicable}}},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, []evalCase{
			{"user of account", send(bob), Allow}, {"other account", send(alice), NotApplicable}}},
		{`{"AWS":"arn:aws:iam::111122223333:user/bob"}`, []evalCase{
			{"bob", send(bob), Allow},
			{"carol", send("arn:aws:iam::111122223333:user/carol"), NotApplicable},
			{"root", send("arn:aws:iam::111122223333:root"), NotApplicable}}},
		{`{"AWS":["arn:aws:iam::111122223333:user/bob","123456789012"]}`, []evalCase{
			{"bob", send(bob), Allow}, {"alice", send(alice), Allow},
			{"carol", send("arn:aws:iam::111122223333:user/carol"), NotApplicable}}},
		{`{"Service":["sns.amazonaws.com","events.amazonaws.com"]}`, []evalCase{
			{"sns", with(send(""), svc), Allow},
			{"events", with(send(""), func(r *Request) { r.Service = "events" }), Allow},
			{"s3", with(send(""), func(r *Request) { r.Service = "s3" }), NotApplicable},
			{"user", send(alice), NotApplicable}}},
		{`{"AWS":"123456789012","Service":"sns.amazonaws.com"}`, []evalCase{
			{"sns", with(send(""), svc), Allow}, {"alice", send(alice), Allow}, {"bob", send(bob), NotApplicable}}},
		{`{"Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbaced"}`, []evalCase{
			{"alice", send(alice), NotApplicable}, {"anonymous", send(""), NotApplicable}}},
	}
	for _, tc := range tests {
		doc := `{"Statement":{"Effect":"Allow","Principal":` + tc.principal + `,"Action":"sqs:SendMessage"}}`
		t.Run(tc.principal, func(t *testing.T) { runEval(t, doc, tc.cases) })
	}
}

func TestNotPrincipal(t *testing.T) {
	// Deny everyone except the owner account and SNS.
	doc := `{"Statement":[
		{"Effect":"Allow","Principal":"*","Action":"sqs:*"},
		{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root","Service":"sns.amazonaws.com"},"Action":"sqs:*"}]}`
	runEval(t, doc, []evalCase{
		{"owner user", send(alice), Allow},
		{"other account", send(bob), Deny},
		{"anonymous", send(""), Deny},
		{"sns", with(send(""), func(r *Request) { r.Service = "sns" }), Allow},
		{"events", with(send(""), func(r *Request) { r.Service = "events" }), Deny},
	})
	runEval(t, `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sqs:*"}}`, []evalCase{
		{"bob", send(bob), NotApplicable},
		{"alice", send(alice), Allow},
	})
}

func TestActions(t *testing.T) {
	act := func(a string) Request { return with(send(alice), func(r *Request) { r.Action = a }) }
	tests := []struct {
		action string
		cases  []evalCase
	}{
		{`"*"`, []evalCase{{"any", act("sns:Publish"), Allow}}},
		{`"SQS:*"`, []evalCase{{"send", act("sqs:SendMessage"), Allow}, {"sns", act("sns:Publish"), NotApplicable}}},
		{`"sqs:Send*"`, []evalCase{{"send", act("sqs:SendMessage"), Allow}, {"batch", act("SQS:SENDMESSAGEBATCH"), Allow},
			{"receive", act("sqs:ReceiveMessage"), NotApplicable}}},
		{`"sqs:?endMessage"`, []evalCase{{"send", act("sqs:SendMessage"), Allow}, {"batch", act("sqs:SendMessageBatch"), NotApplicable}}},
		{`"SNS:Publish"`, []evalCase{{"publish", act("sns:publish"), Allow}, {"sqs", act("sqs:Publish"), NotApplicable}}},
		{`["sqs:ReceiveMessage","sqs:DeleteMessage"]`, []evalCase{{"delete", act("sqs:DeleteMessage"), Allow},
			{"send", act("sqs:SendMessage"), NotApplicable}}},
	}
	for _, tc := range tests {
		doc := `{"Statement":{"Effect":"Allow","Principal":"*","Action":` + tc.action + `}}`
		t.Run(tc.action, func(t *testing.T) { runEval(t, doc, tc.cases) })
	}
	runEval(t, `{"Statement":{"Effect":"Allow","Principal":"*","NotAction":["sqs:Delete*","sqs:Purge?ueue"]}}`, []evalCase{
		{"send", act("sqs:SendMessage"), Allow},
		{"delete queue", act("sqs:DeleteQueue"), NotApplicable},
		{"purge", act("sqs:PurgeQueue"), NotApplicable},
	})
}

func TestResources(t *testing.T) {
	res := func(arn string) Request { return with(send(alice), func(r *Request) { r.Resource = arn }) }
	tests := []struct {
		resource string
		cases    []evalCase
	}{
		{`"*"`, []evalCase{{"any", res("arn:aws:sqs:eu-west-1:1:x"), Allow}}},
		{`"` + queueARN + `"`, []evalCase{{"same", res(queueARN), Allow}, {"longer", res(queueARN + "s"), NotApplicable},
			{"other region", res("arn:aws:sqs:eu-west-1:123456789012:orders"), NotApplicable}}},
		{`"arn:aws:sqs:*:123456789012:*"`, []evalCase{{"any region", res("arn:aws:sqs:eu-west-1:123456789012:x"), Allow},
			{"other account", res("arn:aws:sqs:eu-west-1:111122223333:x"), NotApplicable},
			{"sns", res("arn:aws:sns:eu-west-1:123456789012:x"), NotApplicable}}},
		{`"arn:aws:sqs:us-east-1:123456789012:order?"`, []evalCase{{"orders", res(queueARN), Allow},
			{"orders2", res(queueARN + "2"), NotApplicable}}},
		{`["arn:aws:sqs:us-east-1:123456789012:a","arn:aws:sqs:us-east-1:123456789012:b*"]`, []evalCase{
			{"a", res("arn:aws:sqs:us-east-1:123456789012:a"), Allow}, {"bx", res("arn:aws:sqs:us-east-1:123456789012:bx"), Allow},
			{"c", res("arn:aws:sqs:us-east-1:123456789012:c"), NotApplicable}}},
		// A * in one component does not reach across a colon.
		{`"arn:aws:sqs:us-east-1:*:orders"`, []evalCase{{"yes", res(queueARN), Allow},
			{"no", res("arn:aws:sqs:us-east-1:123456789012:x:orders"), NotApplicable}}},
	}
	for _, tc := range tests {
		doc := `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":` + tc.resource + `}}`
		t.Run(tc.resource, func(t *testing.T) { runEval(t, doc, tc.cases) })
	}
	runEval(t, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}`, []evalCase{
		{"no Resource element applies to the policy's resource", res(queueARN), Allow},
	})
	runEval(t, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","NotResource":"`+queueARN+`"}}`, []evalCase{
		{"listed", res(queueARN), NotApplicable},
		{"other", res(queueARN + "-dlq"), Deny},
	})
}

func TestExplicitDenyWins(t *testing.T) {
	allow := `{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"` + queueARN + `"}`
	deny := `{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"` + queueARN + `",
		"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	insecure := with(send(alice), func(r *Request) { r.Context = map[string][]string{"aws:securetransport": {"false"}} })
	secure := with(send(alice), func(r *Request) { r.Context = map[string][]string{"aws:securetransport": {"true"}} })
	for _, doc := range []string{
		`{"Statement":[` + allow + `,` + deny + `]}`,
		`{"Statement":[` + deny + `,` + allow + `]}`,
	} {
		runEval(t, doc, []evalCase{
			{"insecure", insecure, Deny},
			{"secure", secure, Allow},
			{"unknown transport", send(alice), Allow},
		})
	}
	// The deny applies only when its own principal matches.
	runEval(t, `{"Statement":[`+allow+`,{"Effect":"Deny","Principal":{"AWS":"`+bob+`"},"Action":"sqs:SendMessage"}]}`, []evalCase{
		{"bob", send(bob), Deny},
		{"alice", send(alice), Allow},
		{"bob receives", with(send(bob), func(r *Request) { r.Action = "sqs:ReceiveMessage" }), Allow},
	})
}

func TestDefaultTopicPolicy(t *testing.T) {
	p := DefaultTopicPolicy(topicARN, acct)
	want := `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow",` +
		`"Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission",` +
		`"SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + topicARN + `","Condition":{"StringEquals":{"AWS:SourceOwner":"123456789012"}}}]}`
	if got := p.JSON(); got != want {
		t.Fatalf("JSON:\n got %s\nwant %s", got, want)
	}
	publish := func(owner string) Request {
		r := Request{PrincipalARN: alice, Action: "sns:Publish", Resource: topicARN}
		if owner != "" {
			r.Context = map[string][]string{"aws:sourceowner": {owner}}
		}
		return r
	}
	cases := []evalCase{
		{"owner", publish(acct), Allow},
		{"other owner", publish(other), NotApplicable},
		{"no owner", publish(""), NotApplicable},
		{"other topic", with(publish(acct), func(r *Request) { r.Resource = topicARN + "2" }), NotApplicable},
	}
	for _, tc := range cases {
		if got := p.Evaluate(tc.req); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	runEval(t, want, cases) // the rendered form parses and behaves the same
}

func TestNilPolicy(t *testing.T) {
	var p *Policy
	if got := p.Evaluate(send(alice)); got != NotApplicable {
		t.Errorf("got %v", got)
	}
	if s := Decision(7).String(); s != "Decision(?)" {
		t.Errorf("String: %q", s)
	}
}
