package consumer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/memory"
)

const s3Doc = `{"Records":[
 {"s3":{"object":{"key":"1234567/abcd/20200609125740-1","size":11805,"eTag":"98","sequencer":"00E5FD87444DFD5752"}}},
 {"s3":{"object":{"key":"k/2","size":1,"sequencer":"00E5FD87444DFD5753"}}}],
 "a/b":{"m~n":12345678901234567890}, "flag":true, "none":null}`

func TestPathValues(t *testing.T) {
	t.Parallel()
	doc, err := consumer.DecodeJSON([]byte(s3Doc))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{"Records[].s3.object.sequencer", "[00E5FD87444DFD5752 00E5FD87444DFD5753]"},
		{"Records[1].s3.object.key", "[k/2]"},
		{"Records[0].s3.object.size", "[11805]"},
		{"Records[2].s3", "[]"},
		{"Records.s3", "[]"},
		{"missing.deep", "[]"},
		{"/Records/0/s3/object/key", "[1234567/abcd/20200609125740-1]"},
		{"/a~1b/m~0n", "[12345678901234567890]"}, // every digit kept
		{"/Records/x", "[]"},
		{"flag", "[true]"},
		{"none", "[null]"},
		{"Records[0].s3.object", `[{"eTag":"98","key":"1234567/abcd/20200609125740-1","sequencer":"00E5FD87444DFD5752","size":11805}]`},
	}
	for _, c := range cases {
		p, err := consumer.ParsePath(c.path)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		var got []string
		for _, v := range p.Values(doc) {
			got = append(got, consumer.ValueString(v))
		}
		if s := fmt.Sprint(got); s != c.want {
			t.Errorf("%s = %s, want %s", c.path, s, c.want)
		}
	}
}

func TestPathErrors(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "a..b", "a[", "a[x]", "a[-1]", "a]b[", "/a/~2"} {
		if _, err := consumer.ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
}

func TestKeyPartErrors(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"$nope", "$attribute.", "message:", "a[x]"} {
		if _, err := consumer.ParseKeyPart(bad); err == nil {
			t.Errorf("ParseKeyPart(%q) accepted", bad)
		}
	}
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	doc, _ := consumer.DecodeJSON([]byte(`{"s3":{"object":{"key":"a/b"}}}`))
	ev := &consumer.Event{Doc: doc, MessageID: "m", Key: "k", Body: []byte("{}")}
	for _, c := range []struct{ text, want string }{
		{"{{.Vars.env}}-archive-new", "qa-archive-new"},
		{"{{.Event.s3.object.key}}", "a/b"},
		{`{{field "s3.object.key" .Event}}|{{field "s3.nothing" .Event}}`, "a/b|"},
		{"static", "static"},
		{"{{.MessageID}}/{{.Key}}", "m/k"},
	} {
		tm, err := consumer.ParseTemplate("t", c.text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tm.Execute(ev, map[string]string{"env": "qa"})
		if err != nil || got != c.want {
			t.Errorf("%s = %q, %v; want %q", c.text, got, err, c.want)
		}
	}
	tm, _ := consumer.ParseTemplate("t", "{{.Event.s3.missing.key}}")
	if _, err := tm.Execute(ev, nil); err == nil {
		t.Error("a missing key rendered without error")
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a.b[].c", "/a/0/b", "Records[0][1].x", "a[", "/~0~1"} {
		f.Add(s, s3Doc)
	}
	f.Fuzz(func(t *testing.T, path, doc string) {
		p, err := consumer.ParsePath(path)
		if err != nil {
			return
		}
		d, err := consumer.DecodeJSON([]byte(doc))
		if err != nil {
			return
		}
		vs := p.Values(d)
		for _, v := range vs {
			_ = consumer.ValueString(v)
		}
		got, ok := p.First(d)
		if ok != (len(vs) > 0) || (ok && consumer.ValueString(got) != consumer.ValueString(vs[0])) {
			t.Fatalf("%s: First = %v, %v; Values = %v", path, got, ok, vs)
		}
	})
}

func TestUnstorableKeysHashed(t *testing.T) {
	t.Parallel()
	store := memory.New()
	sink := &recorder{}
	p, err := consumer.NewPipeline(consumer.Config{Store: store, Logger: quiet(), Key: keyParts(t, "id"),
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}}})
	if err != nil {
		t.Fatal(err)
	}
	out := p.Process(context.Background(), []*consumer.Message{
		msg("a", `{"id":"nul\u0000byte"}`), msg("b", `{"id":"`+strings.Repeat("x", 2000)+`"}`), msg("c", `{"id":"plain"}`),
	})
	if fmt.Sprint(out) != "[delivered delivered delivered]" {
		t.Fatalf("outcomes %v", out)
	}
	keys := sink.keys()
	if !strings.HasPrefix(keys[0], "plain") || !strings.HasPrefix(keys[1], "sha256:") || !strings.HasPrefix(keys[2], "sha256:") {
		t.Fatalf("keys %q", keys)
	}
}

// First agrees with Values on every path of TestPathValues' document and
// allocates nothing.
func TestPathFirstAgreesWithValues(t *testing.T) {
	doc, _ := consumer.DecodeJSON([]byte(s3Doc))
	for _, text := range []string{"Records[].s3.object.sequencer", "Records[1].s3.object.key", "Records[2].s3", "Records.s3",
		"missing.deep", "/Records/0/s3/object/key", "/a~1b/m~0n", "/Records/x", "flag", "none", "Records[].s3.object.eTag"} {
		p := consumer.MustParsePath(text)
		vs := p.Values(doc)
		got, ok := p.First(doc)
		if ok != (len(vs) > 0) || (ok && consumer.ValueString(got) != consumer.ValueString(vs[0])) {
			t.Errorf("%s: First = %v, %v; Values = %v", text, got, ok, vs)
		}
	}
	p := consumer.MustParsePath("Records[].s3.object.eTag")
	if n := testing.AllocsPerRun(100, func() { p.First(doc) }); n != 0 {
		t.Errorf("First allocates %v times", n)
	}
}
