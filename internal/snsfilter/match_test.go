package snsfilter_test

import (
	"testing"

	"github.com/herald-dev/herald/internal/snsfilter"
)

type attrs = map[string]snsfilter.Attribute

func str(v string) snsfilter.Attribute    { return snsfilter.Attribute{Type: "String", Value: v} }
func num(v string) snsfilter.Attribute    { return snsfilter.Attribute{Type: "Number", Value: v} }
func arr(v string) snsfilter.Attribute    { return snsfilter.Attribute{Type: "String.Array", Value: v} }
func bin(v string) snsfilter.Attribute    { return snsfilter.Attribute{Type: "Binary", Value: v} }
func typ(t, v string) snsfilter.Attribute { return snsfilter.Attribute{Type: t, Value: v} }

func TestMatchAttributes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		policy string
		attrs  attrs
		want   bool
	}{
		// exact strings, AND and OR
		{"exact", `{"store": ["example_corp"]}`, attrs{"store": str("example_corp")}, true},
		{"exact other value", `{"store": ["example_corp"]}`, attrs{"store": str("other")}, false},
		{"exact is case-sensitive", `{"store": ["example_corp"]}`, attrs{"store": str("Example_Corp")}, false},
		{"exact missing key", `{"store": ["example_corp"]}`, attrs{"event": str("example_corp")}, false},
		{"OR within a list", `{"c": ["rugby", "tennis"]}`, attrs{"c": str("tennis")}, true},
		{"AND across keys", `{"c": ["rugby"], "price": [{"numeric": [">", 100]}]}`, attrs{"c": str("rugby"), "price": num("150")}, true},
		{"AND across keys, one fails", `{"c": ["rugby"], "price": [{"numeric": [">", 100]}]}`, attrs{"c": str("rugby"), "price": num("50")}, false},
		{"other attributes are ignored", `{"c": ["rugby"]}`, attrs{"c": str("rugby"), "x": str("y")}, true},
		{"custom string type", `{"c": ["rugby"]}`, attrs{"c": typ("String.sport", "rugby")}, true},

		// String.Array
		{"array any element", `{"c": ["rugby", "tennis"]}`, attrs{"c": arr(`["soccer", "rugby", "hockey"]`)}, true},
		{"array no element", `{"c": ["rugby", "tennis"]}`, attrs{"c": arr(`["baseball"]`)}, false},
		{"array numbers", `{"c": [{"numeric": [">", 10]}]}`, attrs{"c": arr(`[1, 20]`)}, true},
		{"array not JSON", `{"c": ["rugby"]}`, attrs{"c": arr(`rugby`)}, false},
		{"array is not a string", `{"c": ["[\"rugby\"]"]}`, attrs{"c": arr(`["rugby"]`)}, false},

		// numbers
		{"number exact", `{"p": [100]}`, attrs{"p": num("100")}, true},
		{"number exact 1e2", `{"p": [100]}`, attrs{"p": num("1e2")}, true},
		{"number exact 100.0", `{"p": [1e2]}`, attrs{"p": num("100.0")}, true},
		{"number exact differs", `{"p": [100]}`, attrs{"p": num("100.5")}, false},
		{"number policy, string attribute", `{"p": [100]}`, attrs{"p": str("100")}, false},
		{"string policy, number attribute", `{"p": ["100"]}`, attrs{"p": num("100")}, false},
		{"numeric =", `{"p": [{"numeric": ["=", 301.5]}]}`, attrs{"p": num("3.015e2")}, true},
		{"numeric = differs", `{"p": [{"numeric": ["=", 301.5]}]}`, attrs{"p": num("301.6")}, false},
		{"numeric <", `{"p": [{"numeric": ["<", 0]}]}`, attrs{"p": num("-1")}, true},
		{"numeric < bound", `{"p": [{"numeric": ["<", 0]}]}`, attrs{"p": num("0")}, false},
		{"numeric <=", `{"p": [{"numeric": ["<=", 0]}]}`, attrs{"p": num("0")}, true},
		{"numeric >", `{"p": [{"numeric": [">", 0]}]}`, attrs{"p": num("0.00001")}, true},
		{"numeric > bound", `{"p": [{"numeric": [">", 0]}]}`, attrs{"p": num("0")}, false},
		{"numeric >=", `{"p": [{"numeric": [">=", 0]}]}`, attrs{"p": num("0")}, true},
		{"numeric range in", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, attrs{"p": num("150")}, true},
		{"numeric range out", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, attrs{"p": num("150.1")}, false},
		{"numeric range open top", `{"p": [{"numeric": [">=", 0, "<", 150]}]}`, attrs{"p": num("150")}, false},
		{"numeric range closed bottom", `{"p": [{"numeric": [">=", 0, "<", 150]}]}`, attrs{"p": num("0")}, true},
		{"numeric on a string", `{"p": [{"numeric": [">", 0]}]}`, attrs{"p": str("5")}, false},
		{"numeric on a custom number", `{"p": [{"numeric": [">", 0]}]}`, attrs{"p": typ("Number.float", "5.5")}, true},

		// string operators
		{"prefix", `{"c": [{"prefix": "bas"}]}`, attrs{"c": str("basketball")}, true},
		{"prefix no", `{"c": [{"prefix": "bas"}]}`, attrs{"c": str("rugby")}, false},
		{"prefix on a number", `{"c": [{"prefix": "10"}]}`, attrs{"c": num("100")}, false},
		{"suffix", `{"c": [{"suffix": "ball"}]}`, attrs{"c": str("baseball")}, true},
		{"suffix no", `{"c": [{"suffix": "ball"}]}`, attrs{"c": str("rugby")}, false},
		{"equals-ignore-case", `{"c": [{"equals-ignore-case": "RUGBY"}]}`, attrs{"c": str("Rugby")}, true},
		{"equals-ignore-case no", `{"c": [{"equals-ignore-case": "RUGBY"}]}`, attrs{"c": str("rugby7")}, false},
		{"exactly", `{"c": [{"exactly": "rugby"}]}`, attrs{"c": str("rugby")}, true},

		// anything-but
		{"anything-but list", `{"c": [{"anything-but": ["rugby", "tennis"]}]}`, attrs{"c": str("baseball")}, true},
		{"anything-but list listed", `{"c": [{"anything-but": ["rugby", "tennis"]}]}`, attrs{"c": str("rugby")}, false},
		{"anything-but array with another value", `{"c": [{"anything-but": ["rugby", "tennis"]}]}`, attrs{"c": arr(`["rugby", "baseball"]`)}, true},
		{"anything-but array all listed", `{"c": [{"anything-but": ["rugby", "tennis"]}]}`, attrs{"c": arr(`["rugby", "tennis"]`)}, false},
		{"anything-but single", `{"c": [{"anything-but": "rugby"}]}`, attrs{"c": str("soccer")}, true},
		{"anything-but single listed", `{"c": [{"anything-but": "rugby"}]}`, attrs{"c": str("rugby")}, false},
		{"anything-but missing key", `{"c": [{"anything-but": "rugby"}]}`, attrs{"x": str("rugby")}, false},
		{"anything-but numbers", `{"p": [{"anything-but": [100, 500]}]}`, attrs{"p": num("101")}, true},
		{"anything-but numbers listed", `{"p": [{"anything-but": [100, 500]}]}`, attrs{"p": num("1e2")}, false},
		{"anything-but number, a string", `{"p": [{"anything-but": 100}]}`, attrs{"p": str("100")}, true},
		{"anything-but prefix", `{"c": [{"anything-but": {"prefix": "bas"}}]}`, attrs{"c": str("rugby")}, true},
		{"anything-but prefix listed", `{"c": [{"anything-but": {"prefix": "bas"}}]}`, attrs{"c": str("baseball")}, false},
		{"anything-but or exists false, absent", `{"c": [{"anything-but": "rugby"}, {"exists": false}]}`, attrs{"x": str("y")}, true},

		// exists
		{"exists true", `{"store": [{"exists": true}]}`, attrs{"store": num("99")}, true},
		{"exists true absent", `{"store": [{"exists": true}]}`, attrs{"attr1": num("111")}, false},
		{"exists false", `{"store": [{"exists": false}]}`, attrs{"attr1": num("111")}, true},
		{"exists false present", `{"store": [{"exists": false}]}`, attrs{"store": str("fans")}, false},
		{"exists false, no attributes", `{"store": [{"exists": false}]}`, attrs{}, false},
		{"exists true, binary", `{"store": [{"exists": true}]}`, attrs{"store": bin("AAE="), "x": str("y")}, false},
		{"exists false, binary", `{"store": [{"exists": false}]}`, attrs{"store": bin("AAE="), "x": str("y")}, true},
		{"exists false, only binary", `{"store": [{"exists": false}]}`, attrs{"b": bin("AAE=")}, false},
		{"exists true, empty array", `{"c": [{"exists": true}]}`, attrs{"c": arr(`[]`)}, false},
		{"binary never matches a value", `{"b": ["AAE="]}`, attrs{"b": bin("AAE=")}, false},

		// IP addresses
		{"cidr v4", `{"ip": [{"cidr": "10.0.0.0/24"}]}`, attrs{"ip": str("10.0.0.255")}, true},
		{"cidr v4 out", `{"ip": [{"cidr": "10.0.0.0/24"}]}`, attrs{"ip": str("10.0.1.0")}, false},
		{"cidr v4 below the address written", `{"ip": [{"cidr": "10.0.0.5/24"}]}`, attrs{"ip": str("10.0.0.1")}, false},
		{"cidr v6", `{"ip": [{"cidr": "2001:db8::/32"}]}`, attrs{"ip": str("2001:db8:ffff::1")}, true},
		{"cidr v6 out", `{"ip": [{"cidr": "2001:db8::/32"}]}`, attrs{"ip": str("2001:db9::1")}, false},
		{"cidr v4 on v6", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, attrs{"ip": str("2001:db8::1")}, false},
		{"cidr not an address", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, attrs{"ip": str("ten")}, false},
		{"exact IP is an address", `{"ip": ["2001:db8::1"]}`, attrs{"ip": str("2001:0db8:0:0::1")}, true},

		// $or
		{"$or first", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`,
			attrs{"source": str("aws.cloudwatch"), "metricName": str("CPUUtilization")}, true},
		{"$or second", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`,
			attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/EC2")}, true},
		{"$or neither", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`,
			attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/ES")}, false},
		{"$or and the rest", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`,
			attrs{"source": str("aws.events"), "metricName": str("CPUUtilization")}, false},
		{"$or in $or", `{"$or": [{"a": ["1"]}, {"$or": [{"b": ["2"]}, {"c": ["3"]}]}]}`, attrs{"c": str("3")}, true},
		{"$or read as a key", `{"$or": ["x", "y"]}`, attrs{"$or": str("y")}, true},

		// null and empty policies
		{"null value never present", `{"a": [null]}`, attrs{"a": str("null")}, false},
		{"empty policy", `{}`, attrs{}, true},
		{"no attributes", `{"a": ["x"]}`, attrs{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := snsfilter.Parse(tc.policy, snsfilter.ScopeMessageAttributes)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.policy, err)
			}
			if got := p.MatchAttributes(tc.attrs); got != tc.want {
				t.Errorf("MatchAttributes(%v) = %v, want %v", tc.attrs, got, tc.want)
			}
		})
	}
}

func TestMatchBody(t *testing.T) {
	t.Parallel()
	s3 := `{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"object": {"key": "auto-insurance-2314.xml", "size": 17}}}]}`
	cases := []struct {
		name   string
		policy string
		body   string
		want   bool
	}{
		// exact values of every JSON type
		{"exact string", `{"c": ["rugby"]}`, `{"c": "rugby"}`, true},
		{"exact string no", `{"c": ["rugby"]}`, `{"c": "baseball"}`, false},
		{"exact number", `{"p": [301.5]}`, `{"p": 3.015e2}`, true},
		{"exact number is not a string", `{"p": [100]}`, `{"p": "100"}`, false},
		{"exact true", `{"b": [true]}`, `{"b": true}`, true},
		{"exact true is not a string", `{"b": [true]}`, `{"b": "true"}`, false},
		{"exact false", `{"b": [false]}`, `{"b": true}`, false},
		{"exact null", `{"n": [null]}`, `{"n": null}`, true},
		{"exact null, absent", `{"n": [null]}`, `{"x": 1}`, false},

		// nesting and arrays
		{"nested", `{"a": {"b": {"c": ["x"]}}}`, `{"a": {"b": {"c": "x"}}}`, true},
		{"nested no", `{"a": {"b": {"c": ["x"]}}}`, `{"a": {"b": {"c": "y"}}}`, false},
		{"dotted policy key", `{"a.b": ["x"]}`, `{"a": {"b": "x"}}`, true},
		{"dotted body key", `{"a": {"b": ["x"]}}`, `{"a.b": "x"}`, true},
		{"array any element", `{"c": ["rugby"]}`, `{"c": ["baseball", "rugby"]}`, true},
		{"array of arrays", `{"c": [2]}`, `{"c": [[1], [2, 3]]}`, true},
		{"empty array", `{"c": [{"exists": true}]}`, `{"c": []}`, false},
		{"S3 event", `{"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}`, s3, true},
		{"S3 event no", `{"Records": {"s3": {"object": {"key": [{"prefix": "home-"}]}}}}`, s3, false},
		{"same array element", `{"r": {"a": ["x"], "b": ["y"]}}`, `{"r": [{"a": "x", "b": "z"}, {"a": "w", "b": "y"}]}`, false},
		{"same array element found", `{"r": {"a": ["x"], "b": ["y"]}}`, `{"r": [{"a": "x", "b": "z"}, {"a": "x", "b": "y"}]}`, true},
		{"different arrays", `{"r": {"a": ["x"]}, "s": {"b": ["y"]}}`, `{"r": [{"a": "x"}], "s": [{"b": "y"}]}`, true},

		// operators
		{"numeric", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, `{"p": 150}`, true},
		{"numeric out", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, `{"p": 0}`, false},
		{"numeric on a string", `{"p": [{"numeric": [">", 0]}]}`, `{"p": "5"}`, false},
		{"numeric any element", `{"p": [{"numeric": ["<", 0]}]}`, `{"p": [5, -5]}`, true},
		{"prefix", `{"k": [{"prefix": "auto-"}]}`, `{"k": "auto-test"}`, true},
		{"suffix", `{"k": [{"suffix": ".png"}]}`, `{"k": "image.png"}`, true},
		{"suffix no", `{"k": [{"suffix": ".png"}]}`, `{"k": "image.jpg"}`, false},
		{"equals-ignore-case", `{"k": [{"equals-ignore-case": "ABC"}]}`, `{"k": "aBc"}`, true},
		{"anything-but", `{"k": [{"anything-but": ["a", "b"]}]}`, `{"k": "c"}`, true},
		{"anything-but no", `{"k": [{"anything-but": ["a", "b"]}]}`, `{"k": "a"}`, false},
		{"anything-but array", `{"k": [{"anything-but": ["a", "b"]}]}`, `{"k": ["a", "c"]}`, true},
		{"anything-but a number", `{"k": [{"anything-but": ["a"]}]}`, `{"k": 5}`, true},
		{"anything-but numbers", `{"k": [{"anything-but": [1, 2]}]}`, `{"k": 2.0}`, false},
		{"anything-but prefix", `{"k": [{"anything-but": {"prefix": "in"}}]}`, `{"k": "out"}`, true},
		{"anything-but prefix no", `{"k": [{"anything-but": {"prefix": "in"}}]}`, `{"k": "inside"}`, false},
		{"cidr", `{"ip": [{"cidr": "192.168.0.0/16"}]}`, `{"ip": "192.168.10.1"}`, true},
		{"cidr no", `{"ip": [{"cidr": "192.168.0.0/16"}]}`, `{"ip": "192.169.0.1"}`, false},

		// exists
		{"exists true", `{"store": [{"exists": true}]}`, `{"store": "fans"}`, true},
		{"exists true absent", `{"store": [{"exists": true}]}`, `{"other": "fans"}`, false},
		{"exists true null", `{"store": [{"exists": true}]}`, `{"store": null}`, false},
		{"exists true intermediate node", `{"store": [{"exists": true}]}`, `{"store": {"name": "fans"}}`, false},
		{"exists false", `{"store": [{"exists": false}]}`, `{"other": "fans"}`, true},
		{"exists false present", `{"store": [{"exists": false}]}`, `{"store": "fans"}`, false},
		{"exists false empty body", `{"store": [{"exists": false}]}`, `{}`, false},
		{"exists nested", `{"a": {"b": [{"exists": true}]}}`, `{"a": {"b": 0}}`, true},

		// $or
		{"$or nested", `{"detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}}`,
			`{"detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}`, true},
		{"$or nested none", `{"detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}}`,
			`{"detail": {"scope": "Service", "type": "CPUUtilization"}}`, false},

		// bodies that are not JSON objects
		{"not JSON", `{"c": ["rugby"]}`, `rugby`, false},
		{"JSON array", `{"c": ["rugby"]}`, `[{"c": "rugby"}]`, false},
		{"broken JSON", `{"c": ["rugby"]}`, `{"c": "rugby"`, false},
		{"empty policy, any body", `{}`, `not json`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := snsfilter.Parse(tc.policy, snsfilter.ScopeMessageBody)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.policy, err)
			}
			if got := p.MatchBody(tc.body); got != tc.want {
				t.Errorf("MatchBody(%s) = %v, want %v", tc.body, got, tc.want)
			}
		})
	}
}

func TestNoPolicy(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "  \n"} {
		p, err := snsfilter.Parse(s, snsfilter.ScopeMessageAttributes)
		if err != nil || p != nil {
			t.Fatalf("Parse(%q) = %v, %v; want nil, nil", s, p, err)
		}
		if !p.MatchAttributes(nil) || !p.MatchBody("x") {
			t.Error("a nil policy filters")
		}
	}
}

// The limits: five keys (top-level ones), 150 combinations counted with
// "$or" branches added and nested lists weighted by their depth.
func TestLimits(t *testing.T) {
	t.Parallel()
	ok := []struct{ name, policy string }{
		{"five keys", `{"a": [1], "b": [1], "c": [1], "d": [1], "e": [1]}`},
		{"nested keys count once", `{"state": ["SUCCESS"], "severity": [{"exists": true}], "message": [{"exists": true}], "finding": {"standard_control": [{"exists": true}], "region": [{"exists": true}], "account": [{"exists": true}]}}`},
		{"72 combinations", `{"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}}`},
		{"150 combinations", `{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "b": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]}`},
		{"$or branches add", `{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "$or": [{"b": [1, 2, 3, 4, 5, 6, 7]}, {"c": [1, 2, 3, 4, 5, 6, 7, 8]}]}`},
		{"$or branches have their own keys", `{"a": [1], "b": [1], "c": [1], "d": [1], "$or": [{"e": [1]}, {"f": [1]}]}`},
	}
	for _, tc := range ok {
		if _, err := snsfilter.Parse(tc.policy, snsfilter.ScopeMessageBody); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	bad := []struct{ name, policy, want string }{
		{"151 combinations", `{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151]}`, "FilterPolicy: Filter policy is too complex"},
		{"$or branches add up", `{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "$or": [{"b": [1, 2, 3, 4, 5, 6, 7, 8]}, {"c": [1, 2, 3, 4, 5, 6, 7, 8]}]}`, "FilterPolicy: Filter policy is too complex"},
		{"six keys in a branch", `{"a": [1], "b": [1], "c": [1], "d": [1], "e": [1], "$or": [{"f": [1]}, {"g": [1]}]}`, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"$or chain", orChain(200), "FilterPolicy: Filter policy is too complex"},
		{"$or product", orProduct(8), "FilterPolicy: Filter policy is too complex"},
	}
	for _, tc := range bad {
		if _, err := snsfilter.Parse(tc.policy, snsfilter.ScopeMessageBody); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
		}
	}
}

// orChain nests n "$or"s, each adding one branch: n+1 branches.
func orChain(n int) string {
	s := `{"z": [1]}`
	for i := 0; i < n; i++ {
		s = `{"$or": [{"k": [1]}, ` + s + `]}`
	}
	return s
}

// orProduct has n "$or"s side by side under one key: 2^n branches.
func orProduct(n int) string {
	s := `{"x": {`
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ", "
		}
		s += `"y` + itoa(i) + `": {"$or": [{"a": [1]}, {"b": [1]}]}`
	}
	return s + `}}`
}
