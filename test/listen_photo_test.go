package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// photoMessage is a photo status message in the seed's format
// (../shared/seeds/000_*.txt).
func photoMessage(id int, status, dateCreated, bytesURL, botAction string) string {
	low := 0.5
	switch botAction {
	case "AUTO_APPROVE", "RECOMMEND_APPROVAL":
		low = 0.999
	case "AUTO_DENY", "RECOMMEND_DENIAL":
		low = 0.001
	}
	m := map[string]any{
		"domainClass":    "us.cloudcard.api.Photo",
		"publicKey":      fmt.Sprintf("135404.23.331.%d", id),
		"manuallyEdited": false,
		"person": map[string]any{
			"id": 605353, "username": "tony+1dj3n@acme.com", "email": "tony+1dj3n@acme.com", "identifier": "ABC000123456",
			"customFields":     map[string]string{"Full Name": "John Smith"},
			"organization":     map[string]any{"id": 135404, "name": "Acme Co.", "identifier": "acme"},
			"additionalPhotos": []any{}, "additionalPhotoRequired": true,
		},
		"status": status, "originalPhoto": nil, "dateCreated": dateCreated, "id": id,
		"links":   map[string]string{"bytes": bytesURL},
		"version": 2, "lowestClassification": low, "helperBotAction": botAction,
		"backgroundReplaced": true, "aspectRatio": 1, "helperBotReviewed": true, "isAspectRatioCorrect": true,
	}
	b, _ := json.Marshal(m)
	return string(b)
}

const photoSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "status", "dateCreated", "links"],
  "properties": {
    "id": {"type": "integer"},
    "status": {"enum": ["PENDING","APPROVED","DENIED","DISCARDED","READY_FOR_DOWNLOAD","DOWNLOADED","DONE","ENROUTE","ON_HOLD"]},
    "links": {"type": "object", "required": ["bytes"]}
  }
}`

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// The photo status seed: messages deduplicated on id+status, an update
// older than the newest applied one dropped as stale, DOWNLOADED photos'
// bytes downloaded from links.bytes, an invalid message quarantined, and
// every handled message deleted.
func TestListenPhotoStatus(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--in-memory")
	c := newSQS(srv)
	url := createQueue(t, c, "photo-status")

	var downloads atomic.Int64
	photos := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		w.Header().Set("Content-Type", "image/jpeg")
		fmt.Fprintf(w, "JPEG bytes of %s", r.URL.Path)
	}))
	t.Cleanup(photos.Close)

	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "listener.yaml"), fmt.Sprintf(`
source:
  sqs:
    queue_url: %[1]s
    endpoint: %[2]s
    wait_time: 1s
    concurrency: 2
store: sqlite:%[3]s/listen.db
dedupe:
  key: [id, status]
ordering:
  entity: id
  version: dateCreated
schema: %[3]s/photo.schema.json
quarantine:
  dir: %[3]s/quarantine
sinks:
  photos:
    type: download
    url_path: links.bytes
    dir: %[3]s/photos
    name: "{{.Event.id}}.jpg"
  statuses:
    type: dir
    dir: %[3]s/statuses
    name: "{{.Event.id}}-{{.Event.status}}.json"
routes:
  - name: downloaded
    field: status
    values: [DOWNLOADED]
    sinks: [photos, statuses]
  - name: other
    sinks: [statuses]
metrics: 127.0.0.1:0
progress_interval: 1s
`, url, srv.URL, dir))
	writeFile(t, filepath.Join(dir, "photo.schema.json"), photoSchema)

	// Before the listener starts: APPROVED then its duplicate, then a
	// DOWNLOADED that was sent later but was created later too.
	p := func(id int, status, date string) string {
		return photoMessage(id, status, date, fmt.Sprintf("%s/photos/%d.jpg", photos.URL, id), "AUTO_APPROVE")
	}
	send(t, c, url, p(1419977, "APPROVED", "2023-11-27T05:40:45+0000"))
	send(t, c, url, p(1419977, "APPROVED", "2023-11-27T05:40:45+0000")) // duplicate: same id+status
	send(t, c, url, p(1419977, "DOWNLOADED", "2023-11-27T05:41:45+0000"))
	send(t, c, url, p(2000001, "PENDING", "2023-11-27T06:00:00+0000"))
	send(t, c, url, `{"id":"not-a-photo"}`) // fails the schema

	l := startListener(t, "--config", cfg)
	l.waitMetric(t, `herald_listen_messages_total`, 5, 20*time.Second)
	l.waitMetric(t, `herald_listen_sqs_total{op="deleted"}`, 5, 20*time.Second)

	// A late, older status of the same photo is stale and dropped.
	send(t, c, url, p(1419977, "PENDING", "2023-11-27T05:30:00+0000"))
	l.waitMetric(t, `herald_listen_events_total{outcome="stale"}`, 1, 20*time.Second)
	l.waitMetric(t, `herald_listen_sqs_total{op="deleted"}`, 6, 20*time.Second)

	if got := l.metric(t, `herald_listen_events_total{outcome="duplicate"}`); got != 1 {
		t.Errorf("duplicates = %v, want 1", got)
	}
	if got := l.metric(t, `herald_listen_events_total{outcome="quarantined"}`); got != 1 {
		t.Errorf("quarantined = %v, want 1", got)
	}
	if got, want := fmt.Sprint(dirNames(t, filepath.Join(dir, "statuses"))),
		"[1419977-APPROVED.json 1419977-DOWNLOADED.json 2000001-PENDING.json]"; got != want {
		t.Errorf("statuses = %s, want %s", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, "photos", "1419977.jpg"))
	if err != nil || string(data) != "JPEG bytes of /photos/1419977.jpg" || downloads.Load() != 1 {
		t.Errorf("download: %q, %v, %d downloads", data, err, downloads.Load())
	}
	q := dirNames(t, filepath.Join(dir, "quarantine"))
	if len(q) != 1 {
		t.Fatalf("quarantine holds %v", q)
	}
	qdata, _ := os.ReadFile(filepath.Join(dir, "quarantine", q[0]))
	if !strings.Contains(string(qdata), "schema") || !strings.Contains(string(qdata), "not-a-photo") {
		t.Errorf("quarantined record %s", qdata)
	}
	if v, i, _ := approx(t, c, url); v != 0 || i != 0 {
		t.Errorf("queue still holds %d visible, %d in flight", v, i)
	}
	if !l.stop() {
		t.Error("listener did not exit cleanly on SIGTERM")
	}
	if !strings.Contains(l.logs(), `msg="final counts"`) {
		t.Error("no final counts logged")
	}
}
