package policy

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEvaluate evaluates a 10-statement policy; the request is allowed
// only by the last statement, so every statement is examined.
func BenchmarkEvaluate(b *testing.B) {
	var stmts []string
	for i := range 9 {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"s%d","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1111222233%02d:root","arn:aws:iam::123456789012:user/u%d"]},`+
			`"Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:Send*"],"Resource":"arn:aws:sqs:*:123456789012:queue-%d",`+
			`"Condition":{"StringEquals":{"aws:SourceAccount":"1111222233%02d"},"Bool":{"aws:SecureTransport":"true"}}}`, i, i, i, i, i))
	}
	stmts = append(stmts, `{"Sid":"sns","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",`+
		`"Resource":"arn:aws:sqs:us-east-1:123456789012:orders","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:ev*"},`+
		`"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}`)
	p, err := Parse(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
	if err != nil {
		b.Fatal(err)
	}
	r := Request{Service: "sns", Action: "sqs:SendMessage", Resource: queueARN,
		Context: map[string][]string{"aws:sourcearn": {topicARN}, "aws:securetransport": {"true"}, "aws:sourceaccount": {acct}}}
	if d := p.Evaluate(r); d != Allow {
		b.Fatalf("got %v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(r)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := DefaultTopicPolicy(topicARN, acct).JSON()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
