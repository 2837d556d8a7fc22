package policy

import (
	"errors"
	"strings"
	"testing"
)

// stmt wraps statement members into a document.
func stmt(members string) string { return `{"Version":"2012-10-17","Statement":[{` + members + `}]}` }

const base = `"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"`

func TestParseErrors(t *testing.T) {
	cond := func(c string) string { return stmt(base + `,"Condition":` + c) }
	tests := []struct {
		doc, want string
	}{
		{``, "policy document is empty"},
		{`  `, "policy document is empty"},
		{`not json`, "not valid JSON"},
		{`{"Statement":[]}{}`, "not valid JSON"},
		{`[]`, "must be an object, not an array"},
		{`{"Version":"2012-10-17"}`, "Statement: is required"},
		{`{"Statement":[]}`, "Statement: must contain at least one statement"},
		{`{"Statement":"x"}`, "Statement: must be an object or a list of objects, not a string"},
		{`{"Statement":["x"]}`, "Statement[0]: must be an object, not a string"},
		{`{"Version":"2010-01-01","Statement":{` + base + `}}`, `Version: unsupported version "2010-01-01"`},
		{`{"Version":1,"Statement":{` + base + `}}`, "Version: must be a string, not a number"},
		{`{"Id":null,"Statement":{` + base + `}}`, "Id: must be a string, not null"},
		{`{"Foo":1,"Statement":{` + base + `}}`, `unknown element "Foo"`},
		{`{"Statement":{` + base + `},"Statement":{` + base + `}}`, `duplicate element "Statement"`},
		{stmt(`"Principal":"*","Action":"sqs:SendMessage"`), "Statement[0].Effect: is required"},
		{stmt(`"Sid":"S1","Effect":"allow","Principal":"*","Action":"*"`), `Statement[0] (Sid "S1").Effect: invalid value "allow"`},
		{stmt(`"Effect":true,"Principal":"*","Action":"*"`), "Effect: must be a string, not a boolean"},
		{stmt(`"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"*"`), `duplicate element "Effect"`},
		{stmt(base + `,"Effects":"Allow"`), `Statement[0]: unknown element "Effects"`},
		{stmt(`"Sid":5,` + base), "Sid: must be a string"},
		{stmt(`"Effect":"Allow","Action":"*"`), "requires Principal or NotPrincipal"},
		{stmt(base + `,"NotPrincipal":"*"`), "Principal and NotPrincipal are mutually exclusive"},
		{stmt(`"Effect":"Allow","Principal":"alice","Action":"*"`), `Principal: must be "*" or an object`},
		{stmt(`"Effect":"Allow","Principal":{},"Action":"*"`), "Principal: must name at least one principal"},
		{stmt(`"Effect":"Allow","Principal":["*"],"Action":"*"`), "Principal: must be an object, not an array"},
		{stmt(`"Effect":"Allow","Principal":{"Bogus":"x"},"Action":"*"`), `unknown principal type "Bogus"`},
		{stmt(`"Effect":"Allow","Principal":{"AWS":[]},"Action":"*"`), "Principal: AWS must not be an empty list"},
		{stmt(`"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"*"`), `invalid principal "alice"`},
		{stmt(`"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*"`), `invalid principal "12345"`},
		{stmt(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"*"`), `invalid principal "arn:aws:iam::*:root"`},
		{stmt(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*"`), "wildcards are only allowed"},
		{stmt(`"Effect":"Allow","Principal":{"AWS":"arn:aws:sqs:us-east-1:123456789012:q"},"Action":"*"`), "invalid principal"},
		{stmt(`"Effect":"Allow","Principal":{"Service":"sns.*"},"Action":"*"`), `invalid service principal "sns.*"`},
		{stmt(`"Effect":"Allow","NotPrincipal":{"AWS":"x"},"Action":"*"`), "Statement[0].NotPrincipal: AWS: invalid principal"},
		{stmt(`"Effect":"Allow","Principal":"*"`), "Action or NotAction is required"},
		{stmt(base + `,"NotAction":"*"`), "Action and NotAction are mutually exclusive"},
		{stmt(`"Effect":"Allow","Principal":"*","Action":"SendMessage"`), `Action: invalid action "SendMessage"`},
		{stmt(`"Effect":"Allow","Principal":"*","Action":"sqs:"`), `invalid action "sqs:"`},
		{stmt(`"Effect":"Allow","Principal":"*","Action":"sq*:Send"`), `invalid action "sq*:Send"`},
		{stmt(`"Effect":"Allow","Principal":"*","Action":"sqs:Send Message"`), `invalid action`},
		{stmt(`"Effect":"Allow","Principal":"*","Action":[]`), "Action: must not be an empty list"},
		{stmt(`"Effect":"Allow","Principal":"*","Action":5`), "Action: must be a string or a list of strings, not a number"},
		{stmt(`"Effect":"Allow","Principal":"*","Action":["sqs:A",5]`), "Action: item 1 must be a string"},
		{stmt(`"Effect":"Allow","Principal":"*","NotAction":"bad"`), `NotAction: invalid action "bad"`},
		{stmt(base + `,"Resource":"queue"`), `Resource: invalid resource "queue"`},
		{stmt(base + `,"Resource":"arn:aws:sqs:us-east-1"`), "invalid resource"},
		{stmt(base + `,"Resource":"arn:aws:sqs:us-east-1:123456789012:"`), "invalid resource"},
		{stmt(base + `,"Resource":"*","NotResource":"*"`), "Resource and NotResource are mutually exclusive"},
		{stmt(base + `,"NotResource":["arn:aws:sqs:r:1:q","nope"]`), `NotResource: invalid resource "nope"`},
		{cond(`[]`), "Condition: must be an object, not an array"},
		{cond(`{"StringEqualz":{"k":"v"}}`), `Condition: unknown condition operator "StringEqualz"`},
		{cond(`{"ForSomeValues:StringEquals":{"k":"v"}}`), "unknown condition operator"},
		{cond(`{"StringEqualsIfExistsIfExists":{"k":"v"}}`), "unknown condition operator"},
		{cond(`{"StringEquals":"v"}`), "StringEquals: must be an object"},
		{cond(`{"StringEquals":{}}`), "StringEquals: must name at least one condition key"},
		{cond(`{"StringEquals":{"":"v"}}`), "empty condition key"},
		{cond(`{"StringEquals":{"aws:X":"v","AWS:x":"w"}}`), `duplicate condition key "AWS:x"`},
		{cond(`{"StringEquals":{"k":null}}`), "StringEquals: k: must be a string, number or boolean, not null"},
		{cond(`{"StringEquals":{"k":{"a":1}}}`), "not an object"},
		{cond(`{"StringEquals":{"k":[]}}`), "must not be an empty list"},
		{cond(`{"StringEquals":{"k":["a",[1]]}}`), "item 1 must be a string, number or boolean"},
		{cond(`{"NumericEquals":{"k":"abc"}}`), `NumericEquals: k: value "abc" is not a number`},
		{cond(`{"NumericLessThan":{"k":"NaN"}}`), "is not a number"},
		{cond(`{"DateEquals":{"aws:CurrentTime":"yesterday"}}`), `value "yesterday" is not an ISO 8601 date`},
		{cond(`{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}`), "is not an IP address or CIDR block"},
		{cond(`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`), "is not an IP address"},
		{cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), `value "yes" is not true or false`},
		{cond(`{"Null":{"k":"maybe"}}`), "is not true or false"},
		{cond(`{"NullIfExists":{"k":"true"}}`), "Null takes neither IfExists nor a set prefix"},
		{cond(`{"ForAnyValue:Null":{"k":"true"}}`), "Null takes neither"},
		{cond(`{"BinaryEquals":{"k":"!!"}}`), "is not base64"},
		// The index and Sid of the faulty statement are reported.
		{`{"Statement":[{` + base + `},{"Sid":"Second",` + base + `,"Resource":"x"}]}`, `Statement[1] (Sid "Second").Resource`},
		{`{"Statement":[{"Sid":"A",` + base + `},{"Sid":"A",` + base + `}]}`, `Statement[1] (Sid "A").Sid: duplicate Sid, also used by Statement[0]`},
	}
	for _, tc := range tests {
		_, err := Parse(tc.doc)
		if err == nil {
			t.Errorf("Parse(%s): no error, want %q", tc.doc, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s):\n got %q\nwant %q", tc.doc, err, tc.want)
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%s): error %T is not *Error", tc.doc, err)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	docs := []string{
		// Statement as a single object; no Version.
		`{"Statement":{` + base + `}}`,
		`{"Version":"2008-10-17","Statement":{` + base + `}}`,
		// Empty Condition, numbers and booleans as condition values.
		stmt(base + `,"Condition":{}`),
		stmt(base + `,"Condition":{"NumericLessThan":{"k":[1,2.5]},"Bool":{"aws:SecureTransport":false}}`),
		// Dates in every accepted form.
		stmt(base + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":["2024","2024-01-02","2024-01-02T03:04Z","2024-01-02T03:04:05+02:00","2024-01-02T03:04:05.123Z","2024-01-02T03:04:05"]}}`),
		// Empty Sids may repeat; IPv6 CIDRs.
		`{"Statement":[{"Sid":"",` + base + `},{"Sid":"",` + base + `,"Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}}]}`,
		// Resource with wildcards and colons in the resource part.
		stmt(base + `,"Resource":["*","arn:aws:sqs:*:*:*","arn:aws-cn:s3:::b/k:x"]`),
	}
	for _, d := range docs {
		p, err := Parse(d)
		if err != nil {
			t.Errorf("Parse(%s): %v", d, err)
			continue
		}
		if _, err := Parse(p.JSON()); err != nil {
			t.Errorf("re-parse of %s: %v", p.JSON(), err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	doc := `{"Version":"2012-10-17","Id":"id-<&>","Statement":{"Sid":"s","Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::123456789012:user/a"],"Service":"sns.amazonaws.com"},` +
		`"NotAction":["sqs:Delete*"],"NotResource":"arn:aws:sqs:us-east-1:123456789012:q",` +
		`"Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b"]},"NumericLessThan":{"k":5,"j":"6"},"Bool":{"aws:SecureTransport":false}}}}`
	p, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Id":"id-<&>","Statement":{"Sid":"s","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::123456789012:user/a"],"Service":"sns.amazonaws.com"},` +
		`"NotAction":["sqs:Delete*"],"NotResource":"arn:aws:sqs:us-east-1:123456789012:q",` +
		`"Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b"]},"NumericLessThan":{"k":5,"j":"6"},"Bool":{"aws:SecureTransport":false}}}}`
	got := p.JSON()
	if got != want {
		t.Fatalf("JSON:\n got %s\nwant %s", got, want)
	}
	q, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if q.JSON() != got {
		t.Errorf("second render differs: %s", q.JSON())
	}
	if p.Version() != Version2012 || p.ID() != "id-<&>" || p.Len() != 1 {
		t.Errorf("accessors: %q %q %d", p.Version(), p.ID(), p.Len())
	}
	if s := p.Sids(); len(s) != 1 || s[0] != "s" {
		t.Errorf("Sids: %q", s)
	}
	if a := p.Actions(); len(a) != 1 || a[0] != "sqs:Delete*" {
		t.Errorf("Actions: %q", a)
	}
	if r := p.Resources(); len(r) != 1 || r[0] != "arn:aws:sqs:us-east-1:123456789012:q" {
		t.Errorf("Resources: %q", r)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Statement: -1, Msg: "m"}, "m"},
		{Error{Statement: -1, Field: "Version", Msg: "m"}, "Version: m"},
		{Error{Statement: 2, Msg: "m"}, "Statement[2]: m"},
		{Error{Statement: 0, Sid: "x", Field: "Effect", Msg: "m"}, `Statement[0] (Sid "x").Effect: m`},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
