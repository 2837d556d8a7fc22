package policy

import (
	"fmt"
	"testing"
)

// condDoc builds an allow-everything policy guarded by one condition.
func condDoc(op, key, values string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*",`+
		`"Condition":{%q:{%q:%s}}}}`, op, key, values)
}

func TestConditionOperators(t *testing.T) {
	const k = "test:key"
	missing := []string(nil)
	v := func(s ...string) []string { return s }
	const t0 = `"2024-01-01T00:00:00Z"`
	tests := []struct {
		op, values string
		ctx        []string // request values; nil = key absent
		want       bool
	}{
		// String
		{"StringEquals", `"a"`, v("a"), true},
		{"StringEquals", `"a"`, v("A"), false},
		{"StringEquals", `"a"`, v("b"), false},
		{"StringEquals", `"a"`, missing, false},
		{"StringEquals", `"a"`, v(), false}, // empty list counts as absent
		{"StringEquals", `["a","b"]`, v("b"), true},
		{"StringEquals", `"a"`, v("b", "a"), true}, // any request value
		{"StringEquals", `"a*"`, v("abc"), false},  // no wildcards
		{"stringequals", `"a"`, v("a"), true},      // operator names fold case
		{"StringNotEquals", `"a"`, v("a"), false},
		{"StringNotEquals", `"a"`, v("b"), true},
		{"StringNotEquals", `"a"`, missing, true},
		{"StringNotEquals", `["a","b"]`, v("b"), false},
		{"StringNotEquals", `["a","b"]`, v("c"), true},
		{"StringNotEquals", `"a"`, v("b", "a"), false},
		{"StringEqualsIgnoreCase", `"AbC"`, v("aBc"), true},
		{"StringEqualsIgnoreCase", `"AbC"`, v("abd"), false},
		{"StringEqualsIgnoreCase", `"AbC"`, missing, false},
		{"StringNotEqualsIgnoreCase", `"AbC"`, v("abc"), false},
		{"StringNotEqualsIgnoreCase", `"AbC"`, v("x"), true},
		{"StringNotEqualsIgnoreCase", `"AbC"`, missing, true},
		{"StringLike", `"arn:*:q?"`, v("arn:x:q1"), true},
		{"StringLike", `"arn:*:q?"`, v("arn:x:q12"), false},
		{"StringLike", `"A*"`, v("abc"), false},
		{"StringLike", `"a*"`, missing, false},
		{"StringNotLike", `"a*"`, v("abc"), false},
		{"StringNotLike", `"a*"`, v("bc"), true},
		{"StringNotLike", `"a*"`, missing, true},
		// Numeric
		{"NumericEquals", `"10"`, v("10"), true},
		{"NumericEquals", `"10"`, v("10.0"), true},
		{"NumericEquals", `10`, v("10"), true},
		{"NumericEquals", `"10"`, v("11"), false},
		{"NumericEquals", `"10"`, v("x"), false},
		{"NumericEquals", `"10"`, missing, false},
		{"NumericNotEquals", `"10"`, v("10"), false},
		{"NumericNotEquals", `"10"`, v("11"), true},
		{"NumericNotEquals", `"10"`, missing, true},
		{"NumericNotEquals", `"10"`, v("x"), true},
		{"NumericLessThan", `"10"`, v("9"), true},
		{"NumericLessThan", `"10"`, v("10"), false},
		{"NumericLessThan", `"10"`, missing, false},
		{"NumericLessThanEquals", `"10"`, v("10"), true},
		{"NumericLessThanEquals", `"10"`, v("11"), false},
		{"NumericGreaterThan", `10`, v("11"), true},
		{"NumericGreaterThan", `10`, v("10"), false},
		{"NumericGreaterThanEquals", `"10"`, v("10"), true},
		{"NumericGreaterThanEquals", `"10"`, v("9.5"), false},
		// Date
		{"DateEquals", t0, v("2024-01-01T00:00:00Z"), true},
		{"DateEquals", t0, v("1704067200"), true},
		{"DateEquals", t0, v("2024-01-01T01:00:00+01:00"), true},
		{"DateEquals", t0, v("2024-01-02T00:00:00Z"), false},
		{"DateEquals", t0, v("soon"), false},
		{"DateEquals", t0, missing, false},
		{"DateNotEquals", t0, v("2024-01-02T00:00:00Z"), true},
		{"DateNotEquals", t0, v("2024-01-01T00:00:00Z"), false},
		{"DateNotEquals", t0, missing, true},
		{"DateLessThan", t0, v("2023-12-31T23:59:59Z"), true},
		{"DateLessThan", t0, v("2024-01-01T00:00:00Z"), false},
		{"DateLessThan", `"2024-01-01"`, v("2023-12-31T12:00:00Z"), true},
		{"DateLessThanEquals", t0, v("2024-01-01T00:00:00Z"), true},
		{"DateLessThanEquals", t0, v("2024-01-01T00:00:01Z"), false},
		{"DateGreaterThan", t0, v("2024-06-01T00:00:00+02:00"), true},
		{"DateGreaterThan", t0, v("2024-01-01T00:00:00Z"), false},
		{"DateGreaterThanEquals", t0, v("2024-01-01T00:00:00.000Z"), true},
		{"DateGreaterThanEquals", `"1704067200"`, v("2023-01-01T00:00:00Z"), false},
		// Bool
		{"Bool", `"true"`, v("true"), true},
		{"Bool", `"true"`, v("TRUE"), true},
		{"Bool", `"true"`, v("false"), false},
		{"Bool", `"true"`, missing, false},
		{"Bool", `false`, v("false"), true},
		{"Bool", `false`, v("maybe"), false},
		// Binary
		{"BinaryEquals", `"QmluYXJ5VmFsdWU="`, v("QmluYXJ5VmFsdWU="), true},
		{"BinaryEquals", `"QmluYXJ5VmFsdWU="`, v("AAAA"), false},
		// IP
		{"IpAddress", `"203.0.113.0/24"`, v("203.0.113.7"), true},
		{"IpAddress", `"203.0.113.0/24"`, v("198.51.100.1"), false},
		{"IpAddress", `"203.0.113.0/24"`, v("::ffff:203.0.113.9"), true},
		{"IpAddress", `"203.0.113.0/24"`, v("2001:db8::1"), false},
		{"IpAddress", `"203.0.113.0/24"`, v("not-an-ip"), false},
		{"IpAddress", `"203.0.113.0/24"`, missing, false},
		{"IpAddress", `["10.0.0.0/8","2001:db8::/32"]`, v("2001:db8::1"), true},
		{"IpAddress", `"203.0.113.5"`, v("203.0.113.5"), true},
		{"IpAddress", `"203.0.113.5"`, v("203.0.113.6"), false},
		{"NotIpAddress", `"203.0.113.0/24"`, v("203.0.113.7"), false},
		{"NotIpAddress", `"203.0.113.0/24"`, v("10.0.0.1"), true},
		{"NotIpAddress", `"203.0.113.0/24"`, missing, true},
		// ARN
		{"ArnEquals", `"arn:aws:sns:us-east-1:123456789012:t"`, v("arn:aws:sns:us-east-1:123456789012:t"), true},
		{"ArnEquals", `"arn:aws:sns:us-east-1:123456789012:t"`, v("arn:aws:sns:us-east-1:123456789012:u"), false},
		{"ArnEquals", `"arn:aws:sns:us-east-1:123456789012:t"`, v("arn:aws:sns:us-east-1:123456789012:T"), false},
		{"ArnEquals", `"arn:aws:sns:us-east-1:123456789012:t"`, missing, false},
		{"ArnEquals", `"arn:aws:sns:*:123456789012:*"`, v("arn:aws:sns:eu-west-1:123456789012:t"), true},
		{"ArnLike", `"arn:aws:sns:*:123456789012:*"`, v("arn:aws:sns:eu-west-1:123456789012:t"), true},
		{"ArnLike", `"arn:aws:sns:*:123456789012:*"`, v("arn:aws:sns:eu-west-1:999999999999:t"), false},
		{"ArnLike", `"arn:aws:s3:::bucket*"`, v("arn:aws:s3:::bucket/key:with:colons"), true},
		// A wildcard stays inside its component.
		{"ArnLike", `"arn:aws:*:us-east-1:123456789012:t"`, v("arn:aws:sns:x:us-east-1:123456789012:t"), false},
		{"ArnLike", `"arn:aws:sns:us-east-1:123456789012:t"`, v("not-an-arn"), false},
		// A pattern with fewer than six components matches the whole value.
		{"ArnLike", `"arn:aws:sns:*"`, v("arn:aws:sns:us-east-1:123456789012:t"), true},
		{"ArnNotEquals", `"arn:aws:sns:us-east-1:123456789012:t"`, v("arn:aws:sns:us-east-1:123456789012:u"), true},
		{"ArnNotEquals", `"arn:aws:sns:us-east-1:123456789012:t"`, v("arn:aws:sns:us-east-1:123456789012:t"), false},
		{"ArnNotEquals", `"arn:aws:sns:us-east-1:123456789012:t"`, missing, true},
		{"ArnNotLike", `"arn:aws:sns:*:123456789012:*"`, v("arn:aws:sns:us-east-1:999999999999:t"), true},
		{"ArnNotLike", `"arn:aws:sns:*:123456789012:*"`, v("arn:aws:sns:us-east-1:123456789012:t"), false},
		{"ArnNotLike", `"arn:aws:sns:*:123456789012:*"`, missing, true},
		// Null
		{"Null", `"true"`, missing, true},
		{"Null", `"true"`, v("x"), false},
		{"Null", `"false"`, missing, false},
		{"Null", `"false"`, v("x"), true},
		{"Null", `true`, missing, true},
		// IfExists
		{"StringEqualsIfExists", `"a"`, missing, true},
		{"StringEqualsIfExists", `"a"`, v("a"), true},
		{"StringEqualsIfExists", `"a"`, v("b"), false},
		{"StringNotEqualsIfExists", `"a"`, missing, true},
		{"StringNotEqualsIfExists", `"a"`, v("a"), false},
		{"StringLikeIfExists", `"a*"`, v("ba"), false},
		{"NumericLessThanIfExists", `"5"`, missing, true},
		{"NumericLessThanIfExists", `"5"`, v("6"), false},
		{"DateLessThanIfExists", t0, missing, true},
		{"DateLessThanIfExists", t0, v("2030-01-01T00:00:00Z"), false},
		{"BoolIfExists", `"true"`, missing, true},
		{"BoolIfExists", `"true"`, v("false"), false},
		{"IpAddressIfExists", `"10.0.0.0/8"`, missing, true},
		{"IpAddressIfExists", `"10.0.0.0/8"`, v("192.168.0.1"), false},
		{"NotIpAddressIfExists", `"10.0.0.0/8"`, v("10.1.2.3"), false},
		{"ArnEqualsIfExists", `"arn:aws:sns:us-east-1:123456789012:t"`, missing, true},
		{"ArnLikeIfExists", `"arn:aws:sns:*:123456789012:*"`, v("arn:aws:sns:us-east-1:1:t"), false},
		{"ArnNotLikeIfExists", `"arn:aws:sns:*:123456789012:*"`, missing, true},
		// Set operators
		{"ForAllValues:StringEquals", `["a","b"]`, v("a", "b"), true},
		{"ForAllValues:StringEquals", `["a","b"]`, v("a", "c"), false},
		{"ForAllValues:StringEquals", `["a","b"]`, missing, true},
		{"ForAllValues:StringEquals", `["a","b"]`, v(), true},
		{"ForAnyValue:StringEquals", `["a","b"]`, v("c", "b"), true},
		{"ForAnyValue:StringEquals", `["a","b"]`, v("c", "d"), false},
		{"ForAnyValue:StringEquals", `["a","b"]`, missing, false},
		{"ForAllValues:StringNotEquals", `"a"`, v("b", "c"), true},
		{"ForAllValues:StringNotEquals", `"a"`, v("a", "b"), false},
		{"ForAllValues:StringNotEquals", `"a"`, missing, true},
		{"ForAnyValue:StringNotEquals", `"a"`, v("a", "b"), true},
		{"ForAnyValue:StringNotEquals", `"a"`, v("a"), false},
		{"ForAnyValue:StringNotEquals", `"a"`, missing, false},
		{"ForAnyValue:StringLike", `"x*"`, v("y", "xa"), true},
		{"forallvalues:stringlike", `"x*"`, v("xb", "xa"), true},
		{"ForAllValues:NumericLessThan", `"10"`, v("1", "2"), true},
		{"ForAnyValue:IpAddress", `"10.0.0.0/8"`, v("1.1.1.1", "10.0.0.1"), true},
		{"ForAnyValue:StringEqualsIfExists", `"a"`, missing, true},
		{"ForAllValues:ArnLike", `"arn:aws:sns:*:1:*"`, v("arn:aws:sns:r:1:a", "arn:aws:sns:r:2:a"), false},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s %s %q", tc.op, tc.values, tc.ctx)
		t.Run(name, func(t *testing.T) {
			p, err := Parse(condDoc(tc.op, "Test:Key", tc.values))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			r := Request{PrincipalARN: "arn:aws:iam::123456789012:user/a", Action: "sqs:SendMessage",
				Resource: "arn:aws:sqs:us-east-1:123456789012:q"}
			if tc.ctx != nil {
				r.Context = map[string][]string{k: tc.ctx}
			}
			want := NotApplicable
			if tc.want {
				want = Allow
			}
			if got := p.Evaluate(r); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestConditionKeysAndBlocks(t *testing.T) {
	p, err := Parse(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{
		"StringEquals":{"k1":"a","K2":["b","c"]},
		"Bool":{"aws:SecureTransport":"true"}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ctx  map[string][]string
		want Decision
	}{
		{map[string][]string{"k1": {"a"}, "k2": {"c"}, "aws:securetransport": {"true"}}, Allow},
		// Keys in the request context are found whatever their case.
		{map[string][]string{"K1": {"a"}, "k2": {"b"}, "AWS:SecureTransport": {"true"}}, Allow},
		{map[string][]string{"k1": {"a"}, "k2": {"d"}, "aws:securetransport": {"true"}}, NotApplicable},
		{map[string][]string{"k1": {"a"}, "k2": {"b"}, "aws:securetransport": {"false"}}, NotApplicable},
		{map[string][]string{"k1": {"a"}, "k2": {"b"}}, NotApplicable},
		{nil, NotApplicable},
	}
	for i, tc := range tests {
		if got := p.Evaluate(Request{Action: "sqs:SendMessage", Context: tc.ctx}); got != tc.want {
			t.Errorf("%d: got %v, want %v", i, got, tc.want)
		}
	}
}

func TestDerivedContextKeys(t *testing.T) {
	p, err := Parse(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{
		"StringEquals":{"aws:PrincipalAccount":"111122223333"},
		"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	r := Request{PrincipalARN: "arn:aws:iam::111122223333:role/worker", Action: "sqs:SendMessage"}
	if got := p.Evaluate(r); got != Allow {
		t.Errorf("role: got %v", got)
	}
	r.PrincipalARN = "arn:aws:iam::111122223333:user/worker"
	if got := p.Evaluate(r); got != NotApplicable {
		t.Errorf("user: got %v", got)
	}
	q, _ := Parse(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{
		"StringEquals":{"aws:PrincipalServiceName":"sns.amazonaws.com"}}}}`)
	if got := q.Evaluate(Request{Service: "sns", Action: "sqs:SendMessage"}); got != Allow {
		t.Errorf("service: got %v", got)
	}
}
