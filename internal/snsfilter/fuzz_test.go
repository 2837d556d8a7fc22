package snsfilter_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/snsfilter"
)

// FuzzParse: Parse never panics, its errors have AWS's shape, and a policy
// it accepts can be matched against any attributes and any body.
func FuzzParse(f *testing.F) {
	for _, tc := range awsErrorCases {
		f.Add(tc.policy, `{"key": "value"}`)
	}
	for _, s := range []string{
		`{"store": ["example_corp"], "price_usd": [{"numeric": [">=", 100, "<", 1e3]}]}`,
		`{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": [{"prefix": "AWS/"}]}]}`,
		`{"a": {"b": [{"anything-but": {"prefix": "x"}}, {"exists": false}, null, true, 1.5]}}`,
		`{"ip": [{"cidr": "10.0.0.0/8"}, "2001:db8::1"], "c": [{"equals-ignore-case": "X"}, {"suffix": "y"}]}`,
		`{"a": ["\u00e9\ud83d\ude00"]}`, "{\"a\":\n[1,\r\n2]}", `{}`, ``,
	} {
		f.Add(s, `{"a": {"b": [1, "x", null]}, "store": "example_corp", "ip": "10.1.2.3", "price_usd": 150}`)
	}
	f.Fuzz(func(t *testing.T, policy, body string) {
		attrs := fuzzAttributes(body)
		for _, scope := range []snsfilter.Scope{snsfilter.ScopeMessageAttributes, snsfilter.ScopeMessageBody} {
			p, err := snsfilter.Parse(policy, scope)
			if err != nil {
				msg := err.Error()
				if !strings.HasPrefix(msg, "FilterPolicy: ") && !strings.HasPrefix(msg, "Filter policy scope ") {
					t.Fatalf("Parse(%q): error %q", policy, msg)
				}
				continue
			}
			p.MatchAttributes(attrs)
			p.MatchBody(body)
			p.MatchBody(policy)
		}
	})
}

// fuzzAttributes makes attributes of every type out of a fuzzed body: its
// top-level members if it is a JSON object, and the whole of it.
func fuzzAttributes(body string) map[string]snsfilter.Attribute {
	types := []string{"String", "Number", "String.Array", "Binary", "Number.x"}
	attrs := map[string]snsfilter.Attribute{"key": {Type: "String", Value: body}}
	for i, t := range types {
		attrs[t] = snsfilter.Attribute{Type: t, Value: body}
		attrs["a"+itoa(i)] = snsfilter.Attribute{Type: t, Value: body}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &m) == nil {
		i := 0
		for k, v := range m {
			s := string(v)
			var str string
			if json.Unmarshal(v, &str) == nil {
				s = str
			}
			attrs[k] = snsfilter.Attribute{Type: types[i%len(types)], Value: s}
			i++
		}
	}
	return attrs
}
