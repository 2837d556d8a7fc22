package snsfilter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/snsfilter"
)

const redacted = "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)"

// awsErrorCases are the filter policy errors of
// /work/shared/reference/aws-errors-sns.md, one case per message (the
// "Invalid parameter: …" prefix is the caller's). The policies are written
// with spaces, as json.dumps writes them, because AWS quotes the compact
// form it rewrites them to.
var awsErrorCases = []struct {
	name   string
	policy string
	scope  snsfilter.Scope
	want   string
}{
	{"unrecognized token", `invalid`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: failed to parse JSON. Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: " + redacted + "; line: 1, column: 8]"},
	{"unquoted field name", `{invalidjson}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to start field name\n at [Source: " + redacted + "; line: 1, column: 2]"},
	{"operand not a list, not an operator", `{"key": {"not-an-operator": "value"}}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: \"not-an-operator\" must be an object or an array\n at [Source: (String)\"{\"key\":{\"not-an-operator\":\"value\"}}\"; line: 1, column: 28]"},
	{"operand not a list, two operators", `{"key": {"suffix": "value", "prefix": "value"}}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: \"suffix\" must be an object or an array\n at [Source: (String)\"{\"key\":{\"suffix\":\"value\",\"prefix\":\"value\"}}\"; line: 1, column: 19]"},
	{"operand not a list", `{"key": {"suffix": "value"}}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: \"suffix\" must be an object or an array\n at [Source: (String)\"{\"key\":{\"suffix\":\"value\"}}\"; line: 1, column: 19]"},
	{"bad range operator", `{"key": [{"numeric": [">=", 1, ">", 2]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Bad numeric range operator: >\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">=\",1,\">\",2]}]}\"; line: 1, column: 31]"},
	{"unknown range operator", `{"key": [{"numeric": [">", 20, "test"]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Bad numeric range operator: test\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,\"test\"]}]}\"; line: 1, column: 34]"},
	{"range without operator", `{"key": [{"numeric": [">", 20, 30]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Bad value in numeric range: 30\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,30]}]}\"; line: 1, column: 30]"},
	{"range upside down", `{"key": [{"numeric": [">", 3, "<", 1]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Bottom must be less than top\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",3,\"<\",1]}]}\"; line: 1, column: 33]"},
	{"empty list", `{"key": []}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Empty arrays are not allowed\n at [Source: (String)\"{\"key\":[]}\"; line: 1, column: 10]"},
	{"six keys", `{"key_a": ["value_one"], "key_b": ["value_two"], "key_c": ["value_three"], "key_d": ["value_four"], "key_e": ["value_five"], "key_f": ["value_six"]}`, snsfilter.ScopeMessageBody,
		"FilterPolicy: Filter policy can not have more than 5 keys"},
	{"six attribute keys", `{"a": ["1"], "b": ["2"], "c": ["3"], "d": ["4"], "e": ["5"], "f": ["6"]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Filter policy can not have more than 5 keys"},
	{"too complex nested", `{"key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}}, "key_d": {"key_e": ["value_one", "value_two", "value_three"]}, "key_f": ["value_one", "value_two", "value_three"]}`, snsfilter.ScopeMessageBody,
		"FilterPolicy: Filter policy is too complex"},
	{"too complex flat", `{"a": [1, 2, 3, 4, 5, 6], "b": [1, 2, 3, 4, 5], "c": [1, 2, 3, 4, 5, 6]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Filter policy is too complex"},
	{"numeric list starts with a number", `{"key": [{"numeric": [1, "<="]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Invalid member in numeric match: 1\n at [Source: (String)\"{\"key\":[{\"numeric\":[1,\"<=\"]}]}\"; line: 1, column: 22]"},
	{"numeric list empty", `{"key": [{"numeric": []}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Invalid member in numeric match: ]\n at [Source: (String)\"{\"key\":[{\"numeric\":[]}]}\"; line: 1, column: 22]"},
	{"cidr mask not a number", `{"key": [{"cidr": "10.0.0.0/abc"}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Malformed CIDR, mask bits must be an integer"},
	{"cidr without slash", `{"key": [{"cidr": "10.0.0.0"}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Malformed CIDR, one '/' required"},
	{"list in list", `{"key": [["value"]]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Match value must be String, number, true, false, or null\n at [Source: (String)\"{\"key\":[[\"value\"]]}\"; line: 1, column: 10]"},
	{"cidr not an address", `{"key": [{"cidr": "bad-filter/24"}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Nonstandard IP address: bad-filter"},
	{"cidr bad IPv4", `{"key": [{"cidr": "xx.11.xx/8"}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Nonstandard IP address: xx.11.xx"},
	{"cidr bad IPv6", `{"key": [{"cidr": "xxxx:db8:1234:1a00::/56"}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Nonstandard IP address: xxxx:db8:1234:1a00::"},
	{"two operators", `{"key": [{"suffix": "value", "prefix": "value2"}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Only one key allowed in match expression\n at [Source: (String)\"{\"key\":[{\"suffix\":\"value\",\"prefix\":\"value2\"}]}\"; line: 1, column: 37]"},
	{"range starting with <", `{"key": [{"numeric": ["<", 100, ">", 10]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Too many elements in numeric expression\n at [Source: (String)\"{\"key\":[{\"numeric\":[\"<\",100,\">\",10]}]}\"; line: 1, column: 30]"},
	{"range too long", `{"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Too many terms in numeric range expression\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,\"<\",30,\"<\",50]}]}\"; line: 1, column: 36]"},
	{"unknown operator", `{"key": [{"wrong-operator": true}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Unrecognized match type wrong-operator\n at [Source: (String)\"{\"key\":[{\"wrong-operator\":true}]}\"; line: 1, column: 31]"},
	{"unknown numeric operator", `{"key": [{"numeric": ["operator"]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Unrecognized numeric range operator: operator\n at [Source: (String)\"{\"key\":[{\"numeric\":[\"operator\"]}]}\"; line: 1, column: 32]"},
	{"anything-but exists", `{"key": [{"anything-but": {"exists": false}}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Unsupported anything-but pattern: exists\n at [Source: (String)\"{\"key\":[{\"anything-but\":{\"exists\":false}}]}\"; line: 1, column: 40]"},
	{"anything-but suffix", `{"key": [{"anything-but": {"suffix": "test"}}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Unsupported anything-but pattern: suffix\n at [Source: (String)\"{\"key\":[{\"anything-but\":{\"suffix\":\"test\"}}]}\"; line: 1, column: 36]"},
	{"anything-but unknown", `{"key": [{"anything-but": {"wrong-operator": null}}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Unsupported anything-but pattern: wrong-operator\n at [Source: (String)\"{\"key\":[{\"anything-but\":{\"wrong-operator\":null}}]}\"; line: 1, column: 47]"},
	{"range top a string", `{"key": [{"numeric": [">", 20, "<", "30"]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Value of < must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,\"<\",\"30\"]}]}\"; line: 1, column: 33]"},
	{"range top missing", `{"key": [{"numeric": [">", 20, "<="]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Value of <= must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",20,\"<=\"]}]}\"; line: 1, column: 33]"},
	{"range bottom a string", `{"key": [{"numeric": [">", "20", "<", "30"]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Value of > must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">\",\"20\",\"<\",\"30\"]}]}\"; line: 1, column: 26]"},
	{"range bottom missing", `{"key": [{"numeric": [">="]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Value of >= must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\">=\"]}]}\"; line: 1, column: 26]"},
	{"equals a string", `{"key": [{"numeric": ["=", "000"]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: Value of equals must be numeric\n at [Source: (String)\"{\"key\":[{\"numeric\":[\"=\",\"000\"]}]}\"; line: 1, column: 26]"},
	{"exists a string", `{"key": [{"exists": "no"}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: exists match pattern must be either true or false.\n at [Source: (String)\"{\"key\":[{\"exists\":\"no\"}]}\"; line: 1, column: 20]"},
	{"exists null", `{"key": [{"exists": null}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: exists match pattern must be either true or false.\n at [Source: (String)\"{\"key\":[{\"exists\":null}]}\"; line: 1, column: 23]"},
	{"anything-but prefix not a string", `{"key": [{"anything-but": {"prefix": false}}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: prefix match pattern must be a string\n at [Source: (String)\"{\"key\":[{\"anything-but\":{\"prefix\":false}}]}\"; line: 1, column: 40]"},
	{"cidr a list", `{"key": [{"cidr": ["bad-filter"]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: prefix match pattern must be a string\n at [Source: (String)\"{\"key\":[{\"cidr\":[\"bad-filter\"]}]}\"; line: 1, column: 18]"},
	{"suffix a number", `{"key": [{"suffix": 100}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: suffix match pattern must be a string\n at [Source: (String)\"{\"key\":[{\"suffix\":100}]}\"; line: 1, column: 22]"},
	{"suffix a list", `{"key": [{"suffix": ["test", "test2"]}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: suffix match pattern must be a string\n at [Source: (String)\"{\"key\":[{\"suffix\":[\"test\",\"test2\"]}]}\"; line: 1, column: 20]"},
	{"suffix an empty list", `{"key": [{"suffix": []}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: suffix match pattern must be a string\n at [Source: (String)\"{\"key\":[{\"suffix\":[]}]}\"; line: 1, column: 20]"},
	{"suffix null", `{"key": [{"suffix": null}]}`, snsfilter.ScopeMessageAttributes,
		"FilterPolicy: suffix match pattern must be a string\n at [Source: (String)\"{\"key\":[{\"suffix\":null}]}\"; line: 1, column: 23]"},
	{"nested in attribute scope", `{"object": {"key": [{"prefix": "auto-"}]}}`, snsfilter.ScopeMessageAttributes,
		"Filter policy scope MessageAttributes does not support nested filter policy"},
	{"value not a list", `{"key_a": "value_one"}`, snsfilter.ScopeMessageBody,
		"FilterPolicy: \"key_a\" must be an object or an array\n at [Source: (String)\"{\"key_a\":\"value_one\"}\"; line: 1, column: 11]"},
}

func TestParseAWSErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range awsErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := snsfilter.Parse(tc.policy, tc.scope)
			if err == nil {
				t.Fatalf("Parse(%s) = %v, want error %q", tc.policy, p, tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Parse(%s):\n got %q\nwant %q", tc.policy, got, tc.want)
			}
			var e *snsfilter.Error
			if !errors.As(err, &e) || e.Reason != strings.SplitN(tc.want, "\n", 2)[0] {
				t.Errorf("Reason = %q", e.Reason)
			}
		})
	}
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]snsfilter.Scope{
		"": snsfilter.ScopeMessageAttributes, "MessageAttributes": snsfilter.ScopeMessageAttributes,
		"MessageBody": snsfilter.ScopeMessageBody,
	} {
		got, err := snsfilter.ParseScope(in)
		if err != nil || got != want {
			t.Errorf("ParseScope(%q) = %v, %v", in, got, err)
		}
	}
	_, err := snsfilter.ParseScope("RandomValue")
	const want = "FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes"
	if err == nil || err.Error() != want {
		t.Errorf("ParseScope(RandomValue) = %v, want %q", err, want)
	}
	if _, err := snsfilter.ParseScope("messagebody"); err == nil {
		t.Error("ParseScope is case-insensitive")
	}
}

// Errors beyond the recorded ones: what the rule compiler and Jackson say,
// checked against their sources rather than against AWS.
func TestParseOtherErrors(t *testing.T) {
	t.Parallel()
	loc := func(src string, col int) string {
		return "\n at [Source: (String)\"" + src + "\"; line: 1, column: " + itoa(col) + "]"
	}
	red := func(line, col int) string {
		return "\n at [Source: " + redacted + "; line: " + itoa(line) + ", column: " + itoa(col) + "]"
	}
	cases := []struct {
		name, policy, want string
	}{
		{"not an object", `["a"]`, "FilterPolicy: Filter is not an object" + loc(`["a"]`, 2)},
		{"empty nested object", `{"a": {}}`, "FilterPolicy: Empty objects are not allowed" + loc(`{"a":{}}`, 8)},
		{"numeric not a list", `{"a": [{"numeric": 5}]}`, "FilterPolicy: Value of numeric must be an array." + loc(`{"a":[{"numeric":5}]}`, 19)},
		{"empty match expression", `{"a": [{}]}`, "FilterPolicy: Match expression name not found" + loc(`{"a":[{}]}`, 9)},
		{"anything-but boolean", `{"a": [{"anything-but": true}]}`, "FilterPolicy: Value of anything-but must be an array or single string/number value." + loc(`{"a":[{"anything-but":true}]}`, 27)},
		{"anything-but mixed", `{"a": [{"anything-but": ["x", 1]}]}`, "FilterPolicy: Inside anything but list, either all values are number or string, mixed type is not supported" + loc(`{"a":[{"anything-but":["x",1]}]}`, 30)},
		{"anything-but null in list", `{"a": [{"anything-but": [null]}]}`, "FilterPolicy: Inside anything but list, start|null|boolean is not supported." + loc(`{"a":[{"anything-but":[null]}]}`, 28)},
		{"anything-but two keys", `{"a": [{"anything-but": "x", "prefix": "y"}]}`, "FilterPolicy: Too many elements in numeric expression" + loc(`{"a":[{"anything-but":"x","prefix":"y"}]}`, 37)},
		{"anything-but empty prefix", `{"a": [{"anything-but": {"prefix": ""}}]}`, "FilterPolicy: Null prefix not allowed" + loc(`{"a":[{"anything-but":{"prefix":""}}]}`, 35)},
		{"exists two keys", `{"a": [{"exists": true, "x": 1}]}`, "FilterPolicy: Only one key allowed in match expression" + loc(`{"a":[{"exists":true,"x":1}]}`, 27)},
		{"cidr IPv4 /32", `{"a": [{"cidr": "10.0.0.1/32"}]}`, "FilterPolicy: IPv4 mask bits must be < 32"},
		{"cidr negative", `{"a": [{"cidr": "10.0.0.1/-1"}]}`, "FilterPolicy: Malformed CIDR, mask bits must not be negative"},
		{"cidr invalid address", `{"a": [{"cidr": "10.0.0.300/8"}]}`, "FilterPolicy: Invalid IP address: 10.0.0.300"},
		{"wildcard unknown to SNS", `{"a": [{"wildcard": "x*"}]}`, "FilterPolicy: Unrecognized match type wildcard" + loc(`{"a":[{"wildcard":"x*"}]}`, 20)},
		{"$or with one object is a key", `{"$or": [{"a": [1]}]}`, "FilterPolicy: Unrecognized match type a" + loc(`{"$or":[{"a":[1]}]}`, 15)},
		{"$or reserved name", `{"$or": [{"numeric": 123}, {"prefix": "abc"}]}`, "FilterPolicy: Value of numeric must be an array." + loc(`{"$or":[{"numeric":123},{"prefix":"abc"}]}`, 23)},
		{"re-serialized numbers", `{"a": [{"numeric": [">", 1e2, "<", 1.5e-7]}]}`, "FilterPolicy: Bottom must be less than top" + loc(`{"a":[{"numeric":[">",100.0,"<",1.5E-7]}]}`, 40)},
		{"escapes count as written back", "{\"a\\u0041\": \"\\n\"}", "FilterPolicy: \"aA\" must be an object or an array" + loc(`{"aA":"\n"}`, 8)},
		{"infinity becomes a string", `{"a": [{"numeric": ["<", 1e400]}]}`, "FilterPolicy: Value of < must be numeric" + loc(`{"a":[{"numeric":["<","Infinity"]}]}`, 24)},
		{"missing colon", "{\n  \"a\" [1]}", "FilterPolicy: failed to parse JSON. Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value" + red(2, 7)},
		{"missing comma", `{"a": [1] "b": [2]}`, "FilterPolicy: failed to parse JSON. Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries" + red(1, 11)},
		{"trailing comma", `{"a": [1,]}`, "FilterPolicy: failed to parse JSON. Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')" + red(1, 10)},
		{"end of input", `{"a": [1]`, "FilterPolicy: failed to parse JSON. Unexpected end-of-input: expected close marker for Object (start marker at [Source: " + redacted + "; line: 1, column: 1])" + red(1, 10)},
		{"bad literal", `{"a": [tru]}`, "FilterPolicy: failed to parse JSON. Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')" + red(1, 11)},
		{"mismatched close", `{"a": [1}`, "FilterPolicy: failed to parse JSON. Unexpected close marker '}': expected ']' (for Array starting at [Source: " + redacted + "; line: 1, column: 7])" + red(1, 10)},
		{"too large", `{"a": ["` + strings.Repeat("x", snsfilter.MaxSize) + `"]}`, "FilterPolicy: Filter policy is too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := snsfilter.Parse(tc.policy, snsfilter.ScopeMessageBody)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse(%.60s):\n got %v\nwant %s", tc.policy, err, tc.want)
			}
		})
	}
}

func TestSourceTruncated(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 600)
	_, err := snsfilter.Parse(`{"`+long+`": 1}`, snsfilter.ScopeMessageBody)
	src := `{"` + long + `":1}`
	want := "FilterPolicy: \"" + long + "\" must be an object or an array\n at [Source: (String)\"" +
		src[:500] + "\"[truncated " + itoa(len(src)-500) + " chars]; line: 1, column: " + itoa(len(src)) + "]"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
