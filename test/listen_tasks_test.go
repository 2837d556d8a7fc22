package test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// taskDocument is a task notification in the seed's event document format
// (../shared/seeds/003_*.txt): several events per message.
func taskDocument(docID string, events ...map[string]string) string {
	b, _ := json.Marshal(map[string]any{
		"EventDocVersion": "2014-08-15", "EventDocId": docID, "CustomerId": "A2EXAMPLE", "Events": events,
	})
	return string(b)
}

func taskEvent(typ, hit, assignment string) map[string]string {
	e := map[string]string{"EventType": typ, "EventTimestamp": "2014-05-01T10:00:00Z", "HITTypeId": "T1", "HITId": hit}
	if assignment != "" {
		e["AssignmentId"] = assignment
	}
	return e
}

// The task-notification seed: each message carries several events, split
// and deduplicated on EventDocId (a document delivered twice in two SQS
// messages is processed once), and routed by event type into separate
// queues, as the seed suggests doing with a republishing client.
func TestListenTaskEventsSplitAndRouted(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--in-memory")
	c := newSQS(srv)
	in := createQueue(t, c, "mturk-notifications")
	submitted := createQueue(t, c, "assignments-submitted")
	other := createQueue(t, c, "hit-events")
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "listener.yaml"), fmt.Sprintf(`
source:
  sqs: {queue_url: %q, endpoint: %q, wait_time: 1s}
store: sqlite:%s/listen.db
split: Events
dedupe:
  key: ["message:EventDocId"]
sinks:
  submitted: {type: sqs, queue_url: %q}
  other:     {type: sqs, queue_url: %q}
routes:
  - {field: EventType, values: [AssignmentSubmitted], sinks: [submitted]}
  - {sinks: [other]}
metrics: 127.0.0.1:0
`, in, srv.URL, dir, submitted, other))

	doc1 := taskDocument("doc-1",
		taskEvent("AssignmentSubmitted", "H1", "A1"),
		taskEvent("HITReviewable", "H1", ""),
		taskEvent("AssignmentSubmitted", "H1", "A2"))
	doc2 := taskDocument("doc-2", taskEvent("HITExpired", "H2", ""))
	send(t, c, in, doc1)
	send(t, c, in, doc2)
	send(t, c, in, doc1) // the same document again, with its own MessageId

	l := startListener(t, "--config", cfg)
	l.waitMetric(t, `herald_listen_sqs_total{op="deleted"}`, 3, 20*time.Second)

	events := func(url string, n int) []string {
		var out []string
		for _, m := range receiveN(t, c, url, n, 10*time.Second) {
			var e map[string]string
			if err := json.Unmarshal([]byte(*m.Body), &e); err != nil {
				t.Fatalf("forwarded body %q: %v", *m.Body, err)
			}
			out = append(out, e["EventType"]+"/"+e["HITId"]+"/"+e["AssignmentId"]+" key="+*m.MessageAttributes["herald.key"].StringValue)
		}
		sort.Strings(out)
		return out
	}
	if got, want := fmt.Sprint(events(submitted, 2)), "[AssignmentSubmitted/H1/A1 key=doc-1#0 AssignmentSubmitted/H1/A2 key=doc-1#2]"; got != want {
		t.Errorf("submitted queue: %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(events(other, 2)), "[HITExpired/H2/ key=doc-2#0 HITReviewable/H1/ key=doc-1#1]"; got != want {
		t.Errorf("other queue: %s, want %s", got, want)
	}
	if got := l.metric(t, `herald_listen_events_total{outcome="duplicate"}`); got != 3 {
		t.Errorf("duplicates = %v, want 3 (the second copy's three events)", got)
	}
	// Nothing more was forwarded.
	if v, _, _ := approx(t, c, submitted); v != 0 {
		t.Errorf("submitted queue holds %d more", v)
	}
	if v, _, _ := approx(t, c, other); v != 0 {
		t.Errorf("other queue holds %d more", v)
	}
}
