package format

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/herald-dev/herald/publisher"
)

// without returns the JSON object raw without the named members, in
// order (a test-side rewrite, independent of the package's parser).
func without(t *testing.T, raw []byte, drop ...string) json.RawMessage {
	t.Helper()
	var b bytes.Buffer
	b.WriteByte('{')
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for dec.More() {
		tok, _ := dec.Token()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(drop, tok.(string)) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(tok)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// TestPhotoStatusSeed renders events built from the seed's sample photo
// status message (its missing comma fixed) and expects the sample back,
// whatever the application left out of or got wrong in Data.
func TestPhotoStatusSeed(t *testing.T) {
	t.Parallel()
	sample := seed(t, "photo-status.json")
	want := compact(t, sample)
	replace := func(raw []byte, old, new string) json.RawMessage {
		if !bytes.Contains(raw, []byte(old)) {
			t.Fatalf("sample lacks %s", old)
		}
		return bytes.Replace(raw, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name     string
		entityID string
		data     json.RawMessage
	}{
		{"sample as is", "1419977", sample},
		{"stale status", "1419977", replace(sample, `"status": "DOWNLOADED"`, `"status": "PENDING"`)},
		{"wrong lowestClassification", "1419977", replace(sample, `"lowestClassification": 0.999`, `"lowestClassification": 0.2`)},
		{"no lowestClassification", "1419977", without(t, sample, "lowestClassification")},
		{"no status", "1419977", without(t, sample, "status")},
		{"no id: the entity ID, as a number", "1419977", without(t, sample, "id")},
		{"none of them", "1419977", without(t, sample, "id", "status", "lowestClassification")},
		{"data id wins over entity id", "other", sample},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := event(func(ev *publisher.Event) { ev.EntityID, ev.Data = tt.entityID, tt.data })
			m := render(t, "photo-status", "", ev)
			if !bytes.Equal(m.Body, want) {
				t.Errorf("body differs from the seed sample\ngot:  %s\nwant: %s", m.Body, want)
			}
			if m.ContentType != ContentTypeJSON || m.Subject != "" || m.Attributes != nil {
				t.Errorf("message = %+v", m)
			}
		})
	}
}

func TestLowestClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action string // "" = no helperBotAction in Data
		want   string
	}{
		{"AUTO_APPROVE", "0.999"},
		{"RECOMMEND_APPROVAL", "0.999"},
		{"AUTO_DENY", "0.001"},
		{"RECOMMEND_DENIAL", "0.001"},
		{"MANUAL_REVIEW", "0.5"},
		{"auto_approve", "0.5"}, // the values are upper case; anything else is "otherwise"
		{"", "0.5"},
	}
	for _, tt := range tests {
		if got := LowestClassification(tt.action); got != tt.want {
			t.Errorf("LowestClassification(%q) = %s, want %s", tt.action, got, tt.want)
		}
		data := `{"id":1,"helperBotAction":"` + tt.action + `"}`
		if tt.action == "" {
			data = `{"id":1,"helperBotAction":null}`
		}
		m := render(t, "photo-status", "", event(func(ev *publisher.Event) { ev.Data = json.RawMessage(data) }))
		if got := string(valueOf(t, m.Body, "lowestClassification")); got != tt.want {
			t.Errorf("rendered lowestClassification for %q = %s, want %s", tt.action, got, tt.want)
		}
	}
}

// TestPhotoStatusKeyOrder checks that Data's own order is kept and that a
// missing field goes after the nearest field that precedes it in the
// sample, else before the nearest that follows it. A duplicate key keeps
// its first place and loses its later copies.
func TestPhotoStatusKeyOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data string
		want []string
	}{
		{`{"zeta":1,"helperBotAction":"AUTO_DENY","alpha":2}`,
			[]string{"zeta", "status", "id", "lowestClassification", "helperBotAction", "alpha"}},
		{`{"person":{},"version":3,"links":{}}`,
			[]string{"person", "status", "id", "version", "lowestClassification", "links"}},
		{`{"isAspectRatioCorrect":true,"status":"X","id":"abc"}`,
			[]string{"isAspectRatioCorrect", "status", "id", "lowestClassification"}},
		{`{}`, []string{"status", "id", "lowestClassification"}},
		{`{"status":"A","x":1,"status":"B"}`, []string{"status", "id", "lowestClassification", "x"}},
	}
	for _, tt := range tests {
		m := render(t, "photo-status", "", event(func(ev *publisher.Event) { ev.Data = json.RawMessage(tt.data) }))
		if got := keys(t, m.Body); !slices.Equal(got, tt.want) {
			t.Errorf("%s: keys = %v, want %v", tt.data, got, tt.want)
		}
		if got := string(valueOf(t, m.Body, "status")); got != `"DOWNLOADED"` {
			t.Errorf("%s: status = %s", tt.data, got)
		}
	}
}

func TestPhotoStatusEntityID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]string{
		"1419977":              `1419977`,
		"007":                  `"007"`,
		"-5":                   `-5`,
		"1.5":                  `"1.5"`,
		"a<b":                  `"a<b"`,
		"99999999999999999999": `"99999999999999999999"`,
	} {
		m := render(t, "photo-status", "", event(func(ev *publisher.Event) { ev.EntityID, ev.Data = id, json.RawMessage(`{}`) }))
		if got := string(valueOf(t, m.Body, "id")); got != want {
			t.Errorf("entity ID %q: id = %s, want %s", id, got, want)
		}
	}
}
