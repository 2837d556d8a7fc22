package format

import (
	"encoding/json"
	"testing"
)

func TestParseObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // re-encoded; "" = error
	}{
		{`{}`, `{}`},
		{` { "b" : [1, 2] , "a":{"x": 1.50} } `, `{"b":[1,2],"a":{"x":1.50}}`},
		{`{"a":1,"a":2}`, `{"a":1,"a":2}`},
		{`{"k\u003c":"<&>"}`, `{"k<":"<&>"}`},
		{`[]`, ""},
		{`"x"`, ""},
		{`null`, ""},
		{``, ""},
		{`{"a":1}{}`, ""},
		{`{"a":1`, ""},
	}
	for _, tt := range tests {
		o, err := parseObject([]byte(tt.in))
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseObject(%q) = %v, want an error", tt.in, o)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseObject(%q): %v", tt.in, err)
			continue
		}
		got, err := o.raw()
		if err != nil || string(got) != tt.want {
			t.Errorf("parseObject(%q) re-encodes as %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestObjectSet(t *testing.T) {
	t.Parallel()
	o, err := parseObject([]byte(`{"a":1,"b":2,"a":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := o.get("a"); string(v) != "3" {
		t.Errorf("get(a) = %s, want the last occurrence, 3", v)
	}
	got, _ := o.set("a", json.RawMessage(`9`)).set("c", jsonString("<c>")).raw()
	if string(got) != `{"a":9,"b":2,"c":"<c>"}` {
		t.Errorf("after set: %s", got)
	}
	if _, err := (object{{key: "bad", value: json.RawMessage(`{`)}}).raw(); err == nil {
		t.Error("raw() of an invalid value succeeded")
	}
}
