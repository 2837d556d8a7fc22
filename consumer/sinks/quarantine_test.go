package sinks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func newQuarantine(t *testing.T) (*QuarantineDir, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "quarantine")
	q, err := NewQuarantineDir(QuarantineDirConfig{Dir: dir}, nil)
	if err != nil {
		t.Fatalf("NewQuarantineDir: %v", err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q, dir
}

func TestQuarantineDirWritesRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		key      string
		index    int
		reason   error
		wantFile string
		wantBody string // as JSON
	}{
		{"json body", `{"id": 1419977}`, "1419977:DOWNLOADED", -1, errors.New("schema: status is required"),
			"1419977:DOWNLOADED.json", `{"id":1419977}`},
		{"text body", "not json", "k/with/slashes", -1, fmt.Errorf("wrapped: %w", errors.New("inner")),
			"k_with_slashes.json", `"not json"`},
		{"no key: message id", `{}`, "", -1, nil, "msg-1.json", `{}`},
		{"no key, split message: id and index", `{}`, "", 2, nil, "msg-1-2.json", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, dir := newQuarantine(t)
			ev := event(t, tt.body, tt.key)
			ev.Index = tt.index
			ev.Attributes = map[string]string{"type": "photo"}
			before := time.Now().UTC()
			if err := q.Quarantine(context.Background(), ev, tt.reason); err != nil {
				t.Fatalf("Quarantine: %v", err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, []string{tt.wantFile}) {
				t.Fatalf("dir holds %q, want [%q]", got, tt.wantFile)
			}
			var rec struct {
				Reason        string            `json:"reason"`
				MessageID     string            `json:"message_id"`
				Key           string            `json:"key"`
				Attributes    map[string]string `json:"attributes"`
				Body          json.RawMessage   `json:"body"`
				QuarantinedAt string            `json:"quarantined_at"`
			}
			raw := readFile(t, filepath.Join(dir, tt.wantFile))
			dec := json.NewDecoder(strings.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rec); err != nil {
				t.Fatalf("record %s: %v", raw, err)
			}
			wantReason := ""
			if tt.reason != nil {
				wantReason = tt.reason.Error()
			}
			if rec.Reason != wantReason || rec.MessageID != "msg-1" || rec.Key != tt.key || rec.Attributes["type"] != "photo" {
				t.Errorf("record %+v", rec)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, rec.Body); err != nil || compact.String() != tt.wantBody {
				t.Errorf("body %s, want %s", rec.Body, tt.wantBody)
			}
			at, err := time.Parse(time.RFC3339Nano, rec.QuarantinedAt)
			if err != nil || at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
				t.Errorf("quarantined_at %q (%v) is not about now", rec.QuarantinedAt, err)
			}
		})
	}
}

func TestQuarantineDirSameEventTwice(t *testing.T) {
	t.Parallel()
	q, dir := newQuarantine(t)
	ev := event(t, `{}`, "k")
	for _, reason := range []string{"first", "second"} {
		if err := q.Quarantine(context.Background(), ev, errors.New(reason)); err != nil {
			t.Fatal(err)
		}
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"k.json"}) {
		t.Fatalf("dir holds %q, want one file", got)
	}
	if got := readFile(t, filepath.Join(dir, "k.json")); !strings.Contains(got, `"reason": "second"`) {
		t.Errorf("file holds %s, want the second reason", got)
	}
	noTempFiles(t, dir)
}

func TestQuarantineDirConfig(t *testing.T) {
	t.Parallel()
	if _, err := NewQuarantineDir(QuarantineDirConfig{}, nil); err == nil || !strings.Contains(err.Error(), "dir is required") {
		t.Errorf("no dir: %v", err)
	}
}
