package test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// Filter policies end to end: each case is a topic with two raw-delivery
// SQS subscriptions, one filtered and one not. A matching and a
// non-matching message are published; the unfiltered queue receiving both
// tells that both publishes are done, and the filtered queue must then hold
// exactly the matching one.

// snsMsg is a message to publish: a body and message attributes.
type snsMsg struct {
	body  string
	attrs map[string]snstypes.MessageAttributeValue
}

// snsAttrs builds message attributes from (name, type, value) triples.
func snsAttrs(ntv ...string) map[string]snstypes.MessageAttributeValue {
	m := map[string]snstypes.MessageAttributeValue{}
	for i := 0; i+2 < len(ntv); i += 3 {
		m[ntv[i]] = snsStr(ntv[i+1], ntv[i+2])
	}
	return m
}

func TestSNSFilterPolicies(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	a := func(body string, ntv ...string) snsMsg { return snsMsg{body, snsAttrs(ntv...)} }
	body := func(b string) snsMsg { return snsMsg{body: b} }
	cases := []struct {
		name        string
		policy      string
		scope       string // FilterPolicyScope, "" for the default (MessageAttributes)
		match, miss snsMsg
	}{
		{"exact string", `{"color":["red","green"]}`, "",
			a("red one", "color", "String", "red"), a("blue one", "color", "String", "blue")},
		{"exact string is case-sensitive", `{"color":["red"]}`, "",
			a("lower", "color", "String", "red"), a("upper", "color", "String", "RED")},
		{"exact number", `{"price":[100]}`, "",
			a("100", "price", "Number", "100"), a("101", "price", "Number", "101")},
		{"prefix", `{"color":[{"prefix":"re"}]}`, "",
			a("red", "color", "String", "red"), a("blue", "color", "String", "blue")},
		{"suffix", `{"file":[{"suffix":".png"}]}`, "",
			a("png", "file", "String", "cat.png"), a("jpg", "file", "String", "cat.jpg")},
		{"equals-ignore-case", `{"color":[{"equals-ignore-case":"RED"}]}`, "",
			a("rEd", "color", "String", "rEd"), a("blue", "color", "String", "blue")},
		{"anything-but list", `{"color":[{"anything-but":["red","blue"]}]}`, "",
			a("green", "color", "String", "green"), a("red", "color", "String", "red")},
		{"anything-but number", `{"n":[{"anything-but":100}]}`, "",
			a("5", "n", "Number", "5"), a("100", "n", "Number", "100")},
		{"anything-but prefix", `{"color":[{"anything-but":{"prefix":"re"}}]}`, "",
			a("blue", "color", "String", "blue"), a("red", "color", "String", "red")},
		{"numeric =", `{"n":[{"numeric":["=",5]}]}`, "",
			a("5", "n", "Number", "5"), a("6", "n", "Number", "6")},
		{"numeric <", `{"n":[{"numeric":["<",5]}]}`, "",
			a("4.5", "n", "Number", "4.5"), a("5", "n", "Number", "5")},
		{"numeric <=", `{"n":[{"numeric":["<=",5]}]}`, "",
			a("5", "n", "Number", "5"), a("5.01", "n", "Number", "5.01")},
		{"numeric >", `{"n":[{"numeric":[">",5]}]}`, "",
			a("5.5", "n", "Number", "5.5"), a("5", "n", "Number", "5")},
		{"numeric >=", `{"n":[{"numeric":[">=",5]}]}`, "",
			a("5", "n", "Number", "5"), a("4.99", "n", "Number", "4.99")},
		{"numeric range", `{"n":[{"numeric":[">",0,"<=",10]}]}`, "",
			a("10", "n", "Number", "10"), a("0", "n", "Number", "0")},
		{"numeric range above", `{"n":[{"numeric":[">=",-10,"<",10]}]}`, "",
			a("-10", "n", "Number", "-10"), a("10", "n", "Number", "10")},
		{"exists true", `{"color":[{"exists":true}]}`, "",
			a("has color", "color", "String", "any", "other", "String", "x"), a("no color", "other", "String", "x")},
		{"exists false", `{"color":[{"exists":false}]}`, "",
			a("no color", "other", "String", "x"), a("has color", "color", "String", "any", "other", "String", "x")},
		{"cidr", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, "",
			a("inside", "ip", "String", "10.0.0.7"), a("outside", "ip", "String", "10.0.1.7")},
		{"cidr ipv6", `{"ip":[{"cidr":"2001:db8::/32"}]}`, "",
			a("inside", "ip", "String", "2001:db8::1"), a("outside", "ip", "String", "2001:db9::1")},
		{"$or", `{"$or":[{"a":["x"]},{"b":["y"]}]}`, "",
			a("b is y", "a", "String", "z", "b", "String", "y"), a("neither", "a", "String", "z", "b", "String", "z")},
		{"and across keys", `{"a":["x"],"b":["y"]}`, "",
			a("both", "a", "String", "x", "b", "String", "y"), a("only a", "a", "String", "x", "b", "String", "z")},
		{"String.Array", `{"tags":["b"]}`, "",
			a("has b", "tags", "String.Array", `["a","b"]`), a("no b", "tags", "String.Array", `["c","d"]`)},
		{"no attributes never match", `{"color":["red"]}`, "",
			a("red", "color", "String", "red"), body("no attributes")},
		{"body nested keys", `{"order":{"type":["book"],"qty":[{"numeric":[">",1]}]}}`, "MessageBody",
			body(`{"order":{"type":"book","qty":2}}`), body(`{"order":{"type":"book","qty":1}}`)},
		{"body array", `{"tags":["b"]}`, "MessageBody",
			body(`{"tags":["a","b"]}`), body(`{"tags":["c"]}`)},
		{"body prefix and exists", `{"user":{"name":[{"prefix":"al"}],"banned":[{"exists":false}]}}`, "MessageBody",
			body(`{"user":{"name":"alice"}}`), body(`{"user":{"name":"alice","banned":true}}`)},
		{"body that is not JSON", `{"a":["x"]}`, "MessageBody",
			body(`{"a":"x"}`), body(`a=x`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			arn := snsCreateTopic(t, c, uniq(t, "tp"))
			attrs := []string{"RawMessageDelivery", "true", "FilterPolicy", tc.policy}
			if tc.scope != "" {
				attrs = append(attrs, "FilterPolicyScope", tc.scope)
			}
			filtered, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "f"), attrs...)
			all, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "a"), "RawMessageDelivery", "true")
			snsPublish(t, c, arn, tc.miss.body, tc.miss.attrs)
			snsPublish(t, c, arn, tc.match.body, tc.match.attrs)
			snsCollect(t, q, all, 2, 5*time.Second)
			got := bodies(snsCollect(t, q, filtered, 1, 5*time.Second))
			if got[0] != tc.match.body {
				t.Errorf("filtered queue got %q, want only %q", got[0], tc.match.body)
			}
		})
	}
}

// TestSNSFilterSetAttributes sets, changes and removes a filter policy on a
// live subscription.
func TestSNSFilterSetAttributes(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	filtered, sub := snsSubscribeSQS(t, c, q, arn, uniq(t, "f"), "RawMessageDelivery", "true")
	all, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "a"), "RawMessageDelivery", "true")
	set := func(k, v string) {
		t.Helper()
		if _, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
			SubscriptionArn: aws.String(sub), AttributeName: aws.String(k), AttributeValue: aws.String(v),
		}); err != nil {
			t.Fatalf("SetSubscriptionAttributes %s: %v", k, err)
		}
	}
	round := func(want ...string) {
		t.Helper()
		snsPublish(t, c, arn, "red", snsAttrs("color", "String", "red"))
		snsPublish(t, c, arn, "blue", snsAttrs("color", "String", "blue"))
		snsPublish(t, c, arn, `{"color":"red"}`, nil)
		snsCollect(t, q, all, 3, 5*time.Second)
		got := bodies(snsCollect(t, q, filtered, len(want), 5*time.Second))
		if joinSorted(got) != joinSorted(want) {
			t.Errorf("filtered queue got %q, want %q", got, want)
		}
	}
	round("red", "blue", `{"color":"red"}`)
	set("FilterPolicy", `{"color":["red"]}`)
	ga, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(ga.Attributes["FilterPolicy"], `{"color":["red"]}`) || ga.Attributes["FilterPolicyScope"] != "MessageAttributes" {
		t.Errorf("FilterPolicy = %q, FilterPolicyScope = %q; want the policy and MessageAttributes",
			ga.Attributes["FilterPolicy"], ga.Attributes["FilterPolicyScope"])
	}
	round("red")
	set("FilterPolicyScope", "MessageBody")
	round(`{"color":"red"}`)
	set("FilterPolicy", "")
	round("red", "blue", `{"color":"red"}`)
}

// TestSNSFilterInvalid checks that invalid filter policies are rejected
// with AWS's exact messages: Subscribe words them "Attributes Reason: …",
// SetSubscriptionAttributes names the attribute directly.
func TestSNSFilterInvalid(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	_, sub := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))

	t.Run("Subscribe", func(t *testing.T) {
		for _, tc := range []struct{ policy, msg string }{
			{`{"key":[]}`, "Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed\n" +
				` at [Source: (String)"{"key":[]}"; line: 1, column: 10]`},
			{`{"key":[{"numeric":[">",3,"<",1]}]}`, "Invalid parameter: Attributes Reason: FilterPolicy: Bottom must be less than top\n" +
				` at [Source: (String)"{"key":[{"numeric":[">",3,"<",1]}]}"; line: 1, column: 33]`},
			{`{"key":[{"wrong-operator":true}]}`, "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wrong-operator\n" +
				` at [Source: (String)"{"key":[{"wrong-operator":true}]}"; line: 1, column: 31]`},
			{`{"key":[{"anything-but":{"suffix":"test"}}]}`, "Invalid parameter: Attributes Reason: FilterPolicy: Unsupported anything-but pattern: suffix\n" +
				` at [Source: (String)"{"key":[{"anything-but":{"suffix":"test"}}]}"; line: 1, column: 36]`},
			{`{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`,
				"Invalid parameter: Attributes Reason: FilterPolicy: Filter policy can not have more than 5 keys"},
			{`invalid`, "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. Unrecognized token 'invalid': " +
				"was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n" +
				" at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 8]"},
		} {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{
				TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS(uniq(t, "q"))),
				Attributes: pairs("FilterPolicy", tc.policy),
			})
			snsErr(t, err, "InvalidParameter", 400, tc.msg)
		}
	})

	t.Run("SetSubscriptionAttributes", func(t *testing.T) {
		for _, tc := range []struct{ name, value, msg string }{
			{"FilterPolicy", `{"key_a":"value_one"}`, "Invalid parameter: FilterPolicy: \"key_a\" must be an object or an array\n" +
				` at [Source: (String)"{"key_a":"value_one"}"; line: 1, column: 11]`},
			{"FilterPolicy", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`,
				"Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"},
			{"FilterPolicy", `{invalid: json}`, "Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): " +
				"was expecting double-quote to start field name\n" +
				" at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]"},
			{"FilterPolicy", `{"order":{"type":["book"]}}`,
				"Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"},
			{"FilterPolicyScope", "RandomValue",
				"Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes"},
		} {
			_, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
				SubscriptionArn: aws.String(sub), AttributeName: aws.String(tc.name), AttributeValue: aws.String(tc.value),
			})
			snsErr(t, err, "InvalidParameter", 400, tc.msg)
		}
		// Nothing was set.
		ga, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := ga.Attributes["FilterPolicy"]; ok {
			t.Errorf("a rejected FilterPolicy was stored: %q", v)
		}
	})
}
