package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzRequests are evaluated on a parsed policy and on its re-rendered form.
var fuzzRequests = []Request{
	send(alice),
	send(bob),
	send(""),
	{Service: "sns", Action: "sqs:SendMessage", Resource: queueARN,
		Context: map[string][]string{"aws:sourcearn": {topicARN}, "aws:securetransport": {"true"}}},
	{PrincipalARN: mturk, Action: "SQS:SendMessage", Resource: queueARN,
		Context: map[string][]string{"aws:securetransport": {"true"}, "aws:sourceip": {"203.0.113.7"},
			"aws:currenttime": {"2024-05-01T00:00:00Z"}, "k": {"a", "b"}, "n": {"5"}}},
	{PrincipalARN: alice, Action: "sns:Publish", Resource: topicARN,
		Context: map[string][]string{"aws:sourceowner": {acct}}},
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Version":"2008-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"SQS:*","Resource":"arn:aws:sqs:us-east-1:123456789012:orders"}]}`,
		`{"Statement":{"Effect":"Deny","NotPrincipal":{"Service":"sns.amazonaws.com"},"NotAction":"sqs:Receive*","NotResource":"arn:aws:sqs:*:*:x"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:events"}}}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAllValues:StringLike":{"k":["a*",1,true]},"NumericLessThanIfExists":{"n":7},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"DateLessThan":{"aws:CurrentTime":"2025-01-01"},"Null":{"x":"true"}}}}`,
		DefaultTopicPolicy(topicARN, acct).JSON(),
		`{"Statement":[]}`,
		`{"Version":"2012-10-17","Id":"\u003c\u0000","Statement":{"Sid":"\ud800","Effect":"Allow","Principal":"*","Action":"a:\u00e9?"}}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			if p != nil {
				t.Fatal("policy and error")
			}
			return
		}
		out := p.JSON()
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("rendered policy does not parse: %v\n%s", err, out)
		}
		if again := q.JSON(); again != out {
			t.Fatalf("render not stable:\n%s\n%s", out, again)
		}
		for i, r := range fuzzRequests {
			if a, b := p.Evaluate(r), q.Evaluate(r); a != b {
				t.Fatalf("request %d: %v before rendering, %v after\n%s", i, a, b, out)
			}
		}
		_ = p.CheckLimits(SQSLimits)
	})
}

// FuzzEvaluate checks invariants of evaluation on arbitrary requests: an
// added deny-everything statement always denies, and a policy without deny
// statements never denies.
func FuzzEvaluate(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:user/alice", "", "", "sqs:SendMessage", queueARN, "aws:SourceArn", topicARN)
	f.Add("", "", "sns", "SQS:sendmessage", queueARN, "aws:sourcearn", topicARN)
	f.Add("arn:aws:sts::111122223333:assumed-role/r/s", "111122223333", "", "sns:Publish", topicARN, "aws:sourceip", "::1")
	docs := []string{
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + queueARN + `","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}},` +
			`{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::111122223333:role/r"]},"NotAction":"sqs:Delete*"}]}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAnyValue:StringNotLike":{"aws:sourcearn":"a?*"},"NotIpAddressIfExists":{"aws:sourceip":["10.0.0.0/8","::/0"]},"DateGreaterThanIfExists":{"aws:currenttime":"1700000000"}}}}`,
	}
	var pols []*Policy
	for _, d := range docs {
		p, err := Parse(d)
		if err != nil {
			f.Fatal(err)
		}
		pols = append(pols, p)
	}
	f.Fuzz(func(t *testing.T, prin, account, service, action, resource, key, value string) {
		r := Request{PrincipalARN: prin, PrincipalAccount: account, Service: service, Action: action,
			Resource: resource, Context: map[string][]string{strings.ToLower(key): {value}}}
		for _, p := range pols {
			if d := p.Evaluate(r); d == Deny {
				t.Fatalf("allow-only policy denied %+v", r)
			}
			q := p.Clone()
			q.statements = append(q.statements, statement{deny: true, principal: &principal{star: true, anyone: true},
				actions: strList{vals: []string{"*"}}, actionPats: []string{"*"}})
			if d := q.Evaluate(r); d != Deny {
				t.Fatalf("deny-all gave %v for %+v", d, r)
			}
		}
	})
}

// FuzzGlob compares glob with the equivalent regular expression.
func FuzzGlob(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*", "")
	f.Add("?", "é")
	f.Add("**a*", "bab")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		// The regexp oracle reads invalid UTF-8 as U+FFFD; policy text is
		// always valid UTF-8 once decoded from JSON.
		if len(pattern) > 64 || len(s) > 64 || !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for _, c := range pattern {
			switch c {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got := glob(pattern, s); got != want {
			t.Fatalf("glob(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}
