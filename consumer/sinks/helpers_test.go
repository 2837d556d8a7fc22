package sinks

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/herald-dev/herald/consumer"
)

// event builds an Event the way the pipeline does: Doc is the body decoded
// when it is JSON.
func event(t testing.TB, body, key string) *consumer.Event {
	t.Helper()
	ev := &consumer.Event{
		Message:    &consumer.Message{ID: "msg-1", Body: []byte(body)},
		Body:       []byte(body),
		Index:      -1,
		MessageID:  "msg-1",
		Key:        key,
		Attributes: map[string]string{},
	}
	if doc, err := consumer.DecodeJSON(ev.Body); err == nil {
		ev.Doc = doc
	}
	return ev
}

// dirNames lists the names in dir, sorted.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read dir: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// noTempFiles fails the test when an atomic write left a temporary file.
func noTempFiles(t testing.TB, dir string) {
	t.Helper()
	for _, name := range dirNames(t, dir) {
		if strings.HasPrefix(name, ".herald-") {
			t.Errorf("temporary file %s left in %s", name, dir)
		}
	}
}

// readFile returns a file's content.
func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// wantClass checks that err is non-nil and permanent or retriable as wanted.
func wantClass(t testing.TB, err error, permanent bool) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want a %s one", className(permanent))
	}
	if consumer.IsPermanent(err) != permanent {
		t.Fatalf("error %q is %s, want %s", err, className(consumer.IsPermanent(err)), className(permanent))
	}
}

func className(permanent bool) string {
	if permanent {
		return "permanent"
	}
	return "retriable"
}
