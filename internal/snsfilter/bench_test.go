package snsfilter_test

import (
	"testing"

	"github.com/herald-dev/herald/internal/snsfilter"
)

func BenchmarkMatchAttributes(b *testing.B) {
	p, err := snsfilter.Parse(`{
		"store": ["example_corp", "other_corp"],
		"event": [{"anything-but": ["order_cancelled"]}],
		"customer_interests": ["rugby", "football", "baseball"],
		"price_usd": [{"numeric": [">=", 100]}]
	}`, snsfilter.ScopeMessageAttributes)
	if err != nil {
		b.Fatal(err)
	}
	attrs := map[string]snsfilter.Attribute{
		"customer_interests": {Type: "String.Array", Value: `["soccer", "rugby", "hockey"]`},
		"store":              {Type: "String", Value: "example_corp"},
		"event":              {Type: "String", Value: "order_placed"},
		"price_usd":          {Type: "Number", Value: "210.75"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if !p.MatchAttributes(attrs) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchBody(b *testing.B) {
	p, err := snsfilter.Parse(`{"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}`,
		snsfilter.ScopeMessageBody)
	if err != nil {
		b.Fatal(err)
	}
	body := `{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
		"s3": {"bucket": {"name": "b", "arn": "arn:aws:s3:::b"}, "object": {"key": "auto-insurance-2314.xml", "size": 17}}}]}`
	b.ReportAllocs()
	for b.Loop() {
		if !p.MatchBody(body) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	const policy = `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": [{"prefix": "AWS/"}]}], "price": [{"numeric": [">", 0, "<=", 150]}]}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := snsfilter.Parse(policy, snsfilter.ScopeMessageAttributes); err != nil {
			b.Fatal(err)
		}
	}
}
