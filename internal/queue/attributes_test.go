package queue_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
)

// The four test vectors of aws-wire-facts.md.
func TestMD5OfMessageAttributesVectors(t *testing.T) {
	t.Parallel()
	s := queue.AttributeValue{DataType: "String", StringValue: "attribValue 1"}
	n := queue.AttributeValue{DataType: "Number.float", StringValue: "4563442423554324324264524243.32543234"}
	b := queue.AttributeValue{DataType: "Binary", BinaryValue: []byte("Hello binary world!")}
	cases := []struct {
		name  string
		attrs queue.MessageAttributes
		want  string
	}{
		{"string", queue.MessageAttributes{"attribName1": s}, "19e27d4e946b072f3f58da80d94fd778"},
		{"custom number", queue.MessageAttributes{"customNumberTypeAttrib": n}, "9fe1b90bbd9965bdf77bac517c7d2495"},
		{"binary", queue.MessageAttributes{"binaryAttribute": b}, "31a92b15d92f8db860eda32aceb656c3"},
		{"all three", queue.MessageAttributes{"attribName1": s, "customNumberTypeAttrib": n, "binaryAttribute": b}, "c932db14a896c663f83c260297d594ff"},
		{"none", nil, ""},
		{"empty", queue.MessageAttributes{}, ""},
	}
	for _, c := range cases {
		if got := c.attrs.MD5(); got != c.want {
			t.Errorf("%s: MD5() = %q, want %q", c.name, got, c.want)
		}
		if err := queue.ValidateMessageAttributes(c.attrs); err != nil {
			t.Errorf("%s: ValidateMessageAttributes: %v", c.name, err)
		}
	}
}

func TestSendReturnsDigests(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("digests", nil)
	attrs := queue.MessageAttributes{"attribName1": {DataType: "String", StringValue: "attribValue 1"}}
	trace := queue.MessageAttributes{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793"}}
	r := v.sendIn(q, queue.SendInput{Body: "hello", Attributes: attrs, SystemAttributes: trace})
	if r.MD5OfBody != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("MD5OfBody = %s", r.MD5OfBody)
	}
	if r.MD5OfAttributes != "19e27d4e946b072f3f58da80d94fd778" {
		t.Errorf("MD5OfAttributes = %s", r.MD5OfAttributes)
	}
	if r.MD5OfSystemAttributes != trace.MD5() || r.MD5OfSystemAttributes == "" {
		t.Errorf("MD5OfSystemAttributes = %q, want %q", r.MD5OfSystemAttributes, trace.MD5())
	}
	plain := v.send(q, "x")
	if plain.MD5OfAttributes != "" || plain.MD5OfSystemAttributes != "" {
		t.Errorf("digests without attributes = %q, %q; want empty", plain.MD5OfAttributes, plain.MD5OfSystemAttributes)
	}
	m := v.recvOne(q, -1)
	if m.Attributes.MD5() != r.MD5OfAttributes || m.SystemAttributes["AWSTraceHeader"].StringValue == "" {
		t.Errorf("received attributes %v / %v do not round-trip", m.Attributes, m.SystemAttributes)
	}
}

func TestValidBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s  string
		ok bool
	}{
		{"", true},
		{"plain text", true},
		{"\t\n\r", true},
		{" ", true},
		{"\x7f", true},
		{"\u00e9\u4e16", true},
		{"\ud7ff", true},
		{"\ue000", true},
		{"\ufffd", true},
		{"\U00010000", true},
		{"\U0001f600", true},
		{"\U0010ffff", true},
		{"\x00", false},
		{"a\x01b", false},
		{"\x08", false},
		{"\x0b", false},
		{"\x0c", false},
		{"\x1f", false},
		{"\ufffe", false},
		{"\uffff", false},
		{"\xff", false},         // not UTF-8
		{"\xc3", false},         // truncated sequence
		{"\xed\xa0\x80", false}, // UTF-8-encoded surrogate U+D800
		{"\xed\xbf\xbf", false}, // U+DFFF
		{"\xc0\x80", false},     // overlong NUL
	}
	for _, c := range cases {
		if got := queue.ValidBody(c.s); got != c.ok {
			t.Errorf("ValidBody(%+q) = %v, want %v", c.s, got, c.ok)
		}
	}
}

func TestValidateMessageAttributes(t *testing.T) {
	t.Parallel()
	str := func(v string) queue.AttributeValue { return queue.AttributeValue{DataType: "String", StringValue: v} }
	many := queue.MessageAttributes{}
	for i := range 11 {
		many[fmt.Sprintf("a%d", i)] = str("v")
	}
	ten := queue.MessageAttributes{}
	for i := range 10 {
		ten[fmt.Sprintf("a%d", i)] = str("v")
	}
	cases := []struct {
		name  string
		attrs queue.MessageAttributes
		ok    bool
		msg   string
	}{
		{"ten attributes", ten, true, ""},
		{"eleven attributes", many, false, "Number of message attributes [11] exceeds the allowed maximum [10]."},
		{"name chars", queue.MessageAttributes{"a.b-c_D9": str("v")}, true, ""},
		{"name 256", queue.MessageAttributes{strings.Repeat("n", 256): str("v")}, true, ""},
		{"name 257", queue.MessageAttributes{strings.Repeat("n", 257): str("v")}, false, ""},
		{"empty name", queue.MessageAttributes{"": str("v")}, false, ""},
		{"AWS. prefix", queue.MessageAttributes{"AWS.x": str("v")}, false, ""},
		{"aws. prefix any case", queue.MessageAttributes{"aWs.x": str("v")}, false, ""},
		{"Amazon. prefix", queue.MessageAttributes{"amazon.x": str("v")}, false, ""},
		{"AWS without dot is fine", queue.MessageAttributes{"AWSx": str("v")}, true, ""},
		{"leading dot", queue.MessageAttributes{".a": str("v")}, false, ""},
		{"trailing dot", queue.MessageAttributes{"a.": str("v")}, false, ""},
		{"double dot", queue.MessageAttributes{"a..b": str("v")}, false, ""},
		{"space", queue.MessageAttributes{"a b": str("v")}, false, ""},
		{"slash", queue.MessageAttributes{"a/b": str("v")}, false, ""},
		{"non-ascii", queue.MessageAttributes{"ä": str("v")}, false, ""},
		{"empty string value", queue.MessageAttributes{"s": str("")}, false, "Message (user) attribute 's' must contain a non-empty value of type 'String'."},
		{"no data type", queue.MessageAttributes{"s": {StringValue: "v"}}, false, ""},
		{"unknown type", queue.MessageAttributes{"s": {DataType: "Strin", StringValue: "v"}}, false, ""},
		{"custom string type", queue.MessageAttributes{"s": {DataType: "String.my-type_1.x", StringValue: "v"}}, true, ""},
		{"bad custom label", queue.MessageAttributes{"s": {DataType: "String.my type", StringValue: "v"}}, false, ""},
		{"type too long", queue.MessageAttributes{"s": {DataType: "String." + strings.Repeat("x", 250), StringValue: "v"}}, false, ""},
		{"invalid chars in value", queue.MessageAttributes{"s": str("a\x00")}, false, ""},
		{"number", queue.MessageAttributes{"n": {DataType: "Number", StringValue: "-12.5e3"}}, true, ""},
		{"number int", queue.MessageAttributes{"n": {DataType: "Number.int", StringValue: "42"}}, true, ""},
		{"not a number", queue.MessageAttributes{"n": {DataType: "Number", StringValue: "abc"}}, false, ""},
		{"empty number", queue.MessageAttributes{"n": {DataType: "Number", StringValue: ""}}, false, ""},
		{"binary", queue.MessageAttributes{"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 255}}}, true, ""},
		{"empty binary", queue.MessageAttributes{"b": {DataType: "Binary"}}, false, ""},
		{"binary given string", queue.MessageAttributes{"b": {DataType: "Binary", StringValue: "x"}}, false, ""},
		{"string given binary", queue.MessageAttributes{"s": {DataType: "String", StringValue: "x", BinaryValue: []byte{1}}}, false, ""},
	}
	for _, c := range cases {
		err := queue.ValidateMessageAttributes(c.attrs)
		if c.ok {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if queue.ErrorCode(err) != queue.ErrInvalidParameterValue {
			t.Errorf("%s: code %s, want InvalidParameterValue", c.name, queue.ErrorCode(err))
		}
		if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.msg)
		}
	}
}

func TestValidateSystemAttributes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		attrs queue.MessageAttributes
		ok    bool
	}{
		{"trace header", queue.MessageAttributes{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-abc"}}, true},
		{"other name", queue.MessageAttributes{"Foo": {DataType: "String", StringValue: "x"}}, false},
		{"number type", queue.MessageAttributes{"AWSTraceHeader": {DataType: "Number", StringValue: "1"}}, false},
		{"empty value", queue.MessageAttributes{"AWSTraceHeader": {DataType: "String"}}, false},
	}
	for _, c := range cases {
		err := queue.ValidateSystemAttributes(c.attrs)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("send-validation", map[string]string{"MaximumMessageSize": "1024"})
	trace := queue.MessageAttributes{"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793"}}
	cases := []struct {
		name string
		in   queue.SendInput
		code queue.Code // "" means success
		msg  string
	}{
		{"no body", queue.SendInput{}, queue.ErrMissingParameter, "MessageBody"},
		{"empty body", queue.SendInput{HasBody: true}, queue.ErrMissingParameter, "MessageBody"},
		{"bad chars", queue.SendInput{HasBody: true, Body: "a\x00b"}, queue.ErrInvalidMessageContents, ""},
		{"exactly max", queue.SendInput{HasBody: true, Body: strings.Repeat("x", 1024)}, "", ""},
		{"over max", queue.SendInput{HasBody: true, Body: strings.Repeat("x", 1025)}, queue.ErrInvalidParameterValue, "Message must be shorter than 1024 bytes."},
		{"attributes count toward size", queue.SendInput{HasBody: true, Body: strings.Repeat("x", 1020),
			Attributes: queue.MessageAttributes{"ab": {DataType: "String", StringValue: "v"}}}, queue.ErrInvalidParameterValue, "shorter than"},
		// AWSTraceHeader does not count toward the message size (sqs-wire.md §4).
		{"trace header does not count", queue.SendInput{HasBody: true, Body: strings.Repeat("x", 1024), SystemAttributes: trace}, "", ""},
		{"delay 901", queue.SendInput{HasBody: true, Body: "x", DelaySeconds: ptr[int64](901)}, queue.ErrInvalidParameterValue, "DelaySeconds must be >= 0 and <= 900."},
		{"delay -1", queue.SendInput{HasBody: true, Body: "x", DelaySeconds: ptr[int64](-1)}, queue.ErrInvalidParameterValue, "DelaySeconds"},
		{"delay 900", queue.SendInput{HasBody: true, Body: "x", DelaySeconds: ptr[int64](900)}, "", ""},
		{"dedup id on standard", queue.SendInput{HasBody: true, Body: "x", DedupID: "d"}, queue.ErrInvalidParameterValue, "MessageDeduplicationId"},
		{"group id on standard (fair queues)", queue.SendInput{HasBody: true, Body: "x", GroupID: "g"}, "", ""},
		{"bad group id", queue.SendInput{HasBody: true, Body: "x", GroupID: "a b"}, queue.ErrInvalidParameterValue, "MessageGroupId"},
		{"bad system attribute", queue.SendInput{HasBody: true, Body: "x", SystemAttributes: queue.MessageAttributes{"X": {DataType: "String", StringValue: "v"}}}, queue.ErrInvalidParameterValue, ""},
		{"bad user attribute", queue.SendInput{HasBody: true, Body: "x", Attributes: queue.MessageAttributes{"AWS.x": {DataType: "String", StringValue: "v"}}}, queue.ErrInvalidParameterValue, ""},
	}
	for _, c := range cases {
		_, err := v.e.Send(v.ctx, q, c.in)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		if queue.ErrorCode(err) != c.code || err == nil {
			t.Errorf("%s: err = %v, want code %s", c.name, err, c.code)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.msg)
		}
	}
}
