package format

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/herald-dev/herald/publisher"
)

// TestMediaJobSeed renders each of the seed's four notification messages
// from an event whose Data is that message and expects the message back,
// byte for byte once compacted: same fields, same key order.
func TestMediaJobSeed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, typ, status, subject string
	}{
		{"media-job-ingest.json", "job-completed", "COMPLETED", "SO0050-m2csolution-ingest COMPLETED"},
		{"media-job-analysis.json", "job-completed", "", "SO0050-m2csolution-analysis COMPLETED"},
		{"media-job-labeling.json", "state-changed", "COMPLETED", "SO0050-m2csolution-gt-labeling COMPLETED"},
		{"media-job-error.json", "job-failed", "ERROR", "SO0050-m2csolution-gt-labeling ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			doc := seed(t, tt.file)
			ev := event(func(ev *publisher.Event) {
				ev.EntityType, ev.EntityID, ev.Type, ev.Status, ev.Data = "media", "<uuid>", tt.typ, tt.status, doc
			})
			m := render(t, "media-job", "", ev)
			if want := compact(t, doc); !bytes.Equal(m.Body, want) {
				t.Errorf("body differs from the seed\ngot:  %s\nwant: %s", m.Body, want)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
		})
	}
}

func TestMediaJob(t *testing.T) {
	t.Parallel()
	completed := []string{"operation", "input", "progress", "uuid", "status", "stateMachine"}
	tests := []struct {
		name, status, data string
		wantKeys           []string
		want               map[string]string // raw values
	}{
		{"defaults", "COMPLETED", `{"stateMachine":"m"}`, completed,
			map[string]string{"input": `{}`, "progress": `0`, "uuid": `"job-1"`, "status": `"COMPLETED"`}},
		{"analysis order", "COMPLETED", `{"stateMachine":"x-analysis","progress":100,"input":[1]}`,
			[]string{"operation", "progress", "uuid", "status", "stateMachine", "input"},
			map[string]string{"input": `[1]`, "progress": `100`}},
		{"progress digits kept", "completed", `{"stateMachine":"m","progress":99.50}`, completed,
			map[string]string{"progress": `99.50`, "status": `"COMPLETED"`}},
		{"null progress", "COMPLETED", `{"stateMachine":"m","progress":null}`, completed,
			map[string]string{"progress": `0`}},
		{"error", "Error", `{"stateMachine":"m","errorMessage":"boom <&>","uuid":"ignored"}`,
			[]string{"uuid", "stateMachine", "status", "errorMessage", "input"},
			map[string]string{"uuid": `"job-1"`, "status": `"ERROR"`, "errorMessage": `"boom <&>"`, "input": `{}`}},
	}
	for _, tt := range tests {
		ev := event(func(ev *publisher.Event) {
			ev.EntityID, ev.Type, ev.Status, ev.Data = "job-1", "job", tt.status, json.RawMessage(tt.data)
		})
		m := render(t, "media-job", "", ev)
		if got := keys(t, m.Body); !slices.Equal(got, tt.wantKeys) {
			t.Errorf("%s: keys = %v, want %v", tt.name, got, tt.wantKeys)
		}
		for k, want := range tt.want {
			if got := string(valueOf(t, m.Body, k)); got != want {
				t.Errorf("%s: %s = %s, want %s", tt.name, k, got, want)
			}
		}
	}
}

func TestSNSSubject(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"machine COMPLETED":      "machine COMPLETED",
		"  lead":                 "lead",
		"line\nbreak":            "line?break",
		"caf\u00e9":              "caf?",
		strings.Repeat("a", 150): strings.Repeat("a", 99),
	} {
		if got := snsSubject(in); got != want {
			t.Errorf("snsSubject(%q) = %q, want %q", in, got, want)
		}
	}
}
