package awsquery

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// jsonEncode must write exactly what json.Marshal returns.
func TestJSONEncodeIsMarshal(t *testing.T) {
	type msg struct {
		Body  string            `json:"Body"`
		Attrs map[string]string `json:"Attributes,omitempty"`
		N     *int              `json:"N,omitempty"`
		B     []byte            `json:"B,omitempty"`
	}
	n := 3
	for _, v := range []any{
		struct{}{},
		msg{Body: "<a href=\"x\">&amp;</a>\u2028\u2029\x00\xff é 😀 \n\t\\"},
		msg{Body: "x", Attrs: map[string]string{"b": "2", "a": "1"}, N: &n, B: []byte{0, 1, 2}},
		[]msg{{Body: "1"}, {Body: "2"}},
		map[string]any{"k": []string{}},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.WriteString("junk") // a recycled buffer is reset before use
		buf.Reset()
		if err := jsonEncode(&buf, v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("jsonEncode %q, json.Marshal %q", buf.Bytes(), want)
		}
	}
	var buf bytes.Buffer
	if err := jsonEncode(&buf, func() {}); err == nil || buf.Len() != 0 {
		t.Fatalf("an unencodable value: err %v, %q written", err, buf.Bytes())
	}
}

func TestWriteResultJSON(t *testing.T) {
	s := Service{}
	for _, c := range []struct {
		out  any
		want string
	}{
		{nil, `{}`},
		{struct {
			A string `json:"A"`
		}{"<x>"}, `{"A":"\u003cx\u003e"}`},
	} {
		for range 2 { // the second time with a recycled buffer
			w := httptest.NewRecorder()
			if err := s.WriteResult(w, true, "A", c.out, "rid"); err != nil {
				t.Fatal(err)
			}
			if w.Body.String() != c.want || w.Header().Get("x-amzn-RequestId") != "rid" || w.Header().Get("Content-Type") != "application/x-amz-json-1.0" {
				t.Fatalf("%T: %q %v", c.out, w.Body.String(), w.Header())
			}
		}
	}
}
