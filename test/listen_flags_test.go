package test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The flags-only quick path: a queue, the default MessageId dedupe, the
// stdout sink writing one JSON line per event.
func TestListenFlagsToStdout(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--in-memory")
	c := newSQS(srv)
	url := createQueue(t, c, "quick")
	send(t, c, url, `{"id":1419977,"status":"DOWNLOADED"}`)
	send(t, c, url, `plain text`)
	l := startListener(t, "--queue-url", url, "--endpoint", srv.URL, "--wait-time", "1s",
		"--store", "memory", "--sink", "stdout", "--metrics", "127.0.0.1:0")
	l.waitMetric(t, `herald_listen_sqs_total{op="deleted"}`, 2, 20*time.Second)
	if !l.stop() {
		t.Error("listener did not exit cleanly")
	}
	lines := strings.Split(strings.TrimSpace(l.output()), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout has %d lines:\n%s", len(lines), l.output())
	}
	bodies := map[string]bool{}
	for _, line := range lines {
		var rec struct {
			MessageID string          `json:"message_id"`
			Key       string          `json:"key"`
			Body      json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if rec.MessageID == "" || rec.Key != rec.MessageID {
			t.Errorf("line %q: key should default to the MessageId", line)
		}
		bodies[string(rec.Body)] = true
	}
	if !bodies[`{"id":1419977,"status":"DOWNLOADED"}`] || !bodies[`"plain text"`] {
		t.Errorf("bodies %v", bodies)
	}
}
