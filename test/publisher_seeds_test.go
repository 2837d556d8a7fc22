package test

// The producers' stories of ../shared/seeds, each told against a running
// herald serve through the publisher's /v1/ API.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// golden returns the body of a format golden file (after its headers) and
// its subject header.
func golden(t *testing.T, name string) (body []byte, subject string) {
	t.Helper()
	raw, err := os.ReadFile("../publisher/format/testdata/golden/" + name + ".golden")
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		t.Fatalf("%s: no blank line after the headers", name)
	}
	for _, line := range strings.Split(string(head), "\n") {
		if v, ok := strings.CutPrefix(line, "subject: "); ok {
			subject = v
		}
	}
	return bytes.TrimSuffix(body, []byte("\n")), subject
}

func seedJSON(t *testing.T, name string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile("../publisher/format/testdata/seed/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A photo moves PENDING → APPROVED → DOWNLOADED; the customer's queue is
// subscribed to DOWNLOADED only and receives exactly one message, the
// photo status message exactly as the seed documents it.
func TestPublisherPhotoStatusToQueue(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	c := newSQS(s)
	url := createQueue(t, c, uniq(t, "photos"))
	tenant := uniq(t, "org")
	createSubscription(t, s, map[string]any{
		"tenant": tenant, "statuses": []string{"DOWNLOADED"}, "format": "photo-status",
		"destination": map[string]any{"type": "sqs", "url": url},
	})
	doc := seedJSON(t, "photo-status.json")
	var evs []map[string]any
	for _, st := range []string{"PENDING", "APPROVED", "DOWNLOADED"} {
		evs = append(evs, map[string]any{
			"tenant": tenant, "entity_type": "photo", "entity_id": "1419977", "type": "photo.status_changed",
			"status": st, "occurred_at": time.Now().UTC(), "data": doc,
		})
	}
	out := publishEvents(t, s, evs...)
	for i, ev := range out {
		if ev.Sequence != int64(i+1) || ev.ID == "" {
			t.Errorf("event %d: id %q sequence %d", i, ev.ID, ev.Sequence)
		}
	}
	msgs := receiveN(t, c, url, 1, 10*time.Second)
	want, _ := golden(t, "photo-status")
	if got := aws.ToString(msgs[0].Body); got != string(want) {
		t.Errorf("queue got\n%s\nwant the seed's message\n%s", got, want)
	}
	time.Sleep(300 * time.Millisecond)
	if extra := receive(t, c, url, 10, 0); len(extra) != 0 {
		t.Errorf("the queue got %d more messages; only DOWNLOADED is subscribed", len(extra))
	}
}

// A media job completes and another fails; both notifications go to an
// SNS topic and from there to an HTTPS subscriber, in the state machines'
// documented shapes with their subjects.
func TestPublisherMediaJobToTopicToHTTPS(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	snsc := newSNSClient(s)
	topic, err := snsc.CreateTopic(ctxT(t), &sns.CreateTopicInput{Name: aws.String(uniq(t, "media"))})
	if err != nil {
		t.Fatal(err)
	}
	ep := newEndpoint(t)
	subscribeHTTP(t, snsc, aws.ToString(topic.TopicArn), ep, nil)
	tenant := uniq(t, "media")
	createSubscription(t, s, map[string]any{
		"tenant": tenant, "event_types": []string{"job-completed"}, "format": "media-job",
		"destination": map[string]any{"type": "sns", "topic_arn": aws.ToString(topic.TopicArn)},
	})
	publishEvents(t, s,
		map[string]any{"tenant": tenant, "entity_type": "media", "entity_id": "<uuid>", "type": "job-completed",
			"status": "COMPLETED", "occurred_at": time.Now().UTC(), "data": seedJSON(t, "media-job-ingest.json")},
		map[string]any{"tenant": tenant, "entity_type": "media", "entity_id": "<uuid>", "type": "job-completed",
			"status": "ERROR", "occurred_at": time.Now().UTC(), "data": seedJSON(t, "media-job-error.json")},
	)
	waitFor(t, 10*time.Second, "two notifications at the HTTPS subscriber", func() bool { return len(ep.notifications()) >= 2 })
	got := map[string]string{}
	for _, m := range ep.notifications() {
		got[m.Subject] = m.Message
	}
	for _, name := range []string{"media-job-ingest", "media-job-error"} {
		body, subject := golden(t, name)
		if got[subject] != string(body) {
			t.Errorf("%s: subscriber got subject %q body\n%s\nwant\n%s", name, subject, got[subject], body)
		}
	}
}

// A test notification reports the destination's answer: delivered to a
// queue that exists, and the exact error for one that does not.
func TestPublisherTestNotification(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	c := newSQS(s)
	url := createQueue(t, c, uniq(t, "tasks"))
	tenant := uniq(t, "requester")
	ok := createSubscription(t, s, map[string]any{
		"tenant": tenant, "format": "mturk-event-doc", "destination": map[string]any{"type": "sqs", "url": url},
	})
	var res struct {
		Delivered bool   `json:"delivered"`
		Detail    string `json:"detail"`
		Error     string `json:"error"`
		Code      string `json:"code"`
		Body      string `json:"body"`
	}
	api(t, s, "POST", "/v1/subscriptions/"+ok+"/test", nil, &res, http.StatusOK)
	if !res.Delivered || res.Detail == "" {
		t.Fatalf("test notification to an existing queue: %+v", res)
	}
	msgs := receiveN(t, c, url, 1, 5*time.Second)
	var doc struct {
		EventDocId string
		Events     []struct{ EventType string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &doc); err != nil || len(doc.Events) != 1 || doc.Events[0].EventType != "Ping" {
		t.Errorf("test notification body %s: want an event document with one Ping event (%v)", aws.ToString(msgs[0].Body), err)
	}

	gone := createSubscription(t, s, map[string]any{
		"tenant": tenant, "destination": map[string]any{"type": "sqs", "url": s.URL + "/000000000000/" + uniq(t, "deleted")},
	})
	res = struct {
		Delivered bool   `json:"delivered"`
		Detail    string `json:"detail"`
		Error     string `json:"error"`
		Code      string `json:"code"`
		Body      string `json:"body"`
	}{}
	api(t, s, "POST", "/v1/subscriptions/"+gone+"/test", nil, &res, http.StatusOK)
	if res.Delivered || !strings.Contains(res.Code, "NonExistentQueue") && !strings.Contains(res.Code, "QueueDoesNotExist") || !strings.Contains(res.Error, "does not exist") {
		t.Errorf("test notification to a missing queue: %+v", res)
	}
}

// A failing HTTPS endpoint is retried, then its delivery is dead with the
// last error; once the endpoint recovers, a replay delivers it.
func TestPublisherRetryDeadReplay(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--publisher-max-attempts", "3", "--publisher-backoff", "50ms", "--publisher-backoff-max", "100ms")
	h := newHook(t)
	h.set(true, 0)
	tenant := "acme"
	sub := createSubscription(t, s, map[string]any{
		"tenant": tenant, "destination": map[string]any{"type": "https", "url": h.URL + "/hook"},
	})
	ev := publishEvents(t, s, map[string]any{"tenant": tenant, "entity_type": "job", "entity_id": "j1",
		"type": "job-completed", "status": "ERROR", "occurred_at": time.Now().UTC()})[0]
	var dead []pubDelivery
	waitFor(t, 10*time.Second, "the delivery to die", func() bool {
		dead = deliveriesOf(t, s, sub, "dead")
		return len(dead) == 1
	})
	if dead[0].Attempts != 3 || !strings.Contains(dead[0].LastError, "503") {
		t.Errorf("dead delivery: %+v", dead[0])
	}
	h.set(false, 0)
	var replay struct {
		Delivery string `json:"delivery"`
	}
	api(t, s, "POST", "/v1/deliveries/"+dead[0].ID+"/replay", map[string]any{}, &replay, http.StatusAccepted)
	waitFor(t, 10*time.Second, "the replay to be delivered", func() bool { return len(h.accepted()) == 1 })
	var ce map[string]any
	if err := json.Unmarshal(h.accepted()[0], &ce); err != nil || ce["id"] != ev.ID {
		t.Errorf("replayed notification %s: %v", h.accepted()[0], err)
	}
	// The outcome is recorded after the endpoint answered (by the relay
	// worker's finisher): wait for it.
	var got []pubDelivery
	waitFor(t, 10*time.Second, "the replay to be recorded as delivered", func() bool {
		got = deliveriesOf(t, s, sub, "delivered")
		return len(got) > 0
	})
	if len(got) != 1 || got[0].ID != replay.Delivery {
		t.Errorf("delivered = %+v, want the replay %s", got, replay.Delivery)
	}
}

// A custom format declared on the command line, without recompiling.
func TestPublisherCustomFormat(t *testing.T) {
	t.Parallel()
	tmpl := filepath.Join(t.TempDir(), "status.tmpl")
	if err := os.WriteFile(tmpl, []byte(`{"photo":{{json .EntityID}},"state":{{json .Status}},"org":{{json (field "person.organization.id")}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--format", "org-status="+tmpl)
	c := newSQS(s)
	url := createQueue(t, c, uniq(t, "custom"))
	createSubscription(t, s, map[string]any{
		"tenant": "acme", "format": "org-status", "destination": map[string]any{"type": "sqs", "url": url},
	})
	publishEvents(t, s, map[string]any{"tenant": "acme", "entity_type": "photo", "entity_id": "1419977",
		"type": "photo.status_changed", "status": "DOWNLOADED", "occurred_at": time.Now().UTC(), "data": seedJSON(t, "photo-status.json")})
	msgs := receiveN(t, c, url, 1, 10*time.Second)
	if got, want := aws.ToString(msgs[0].Body), `{"photo":"1419977","state":"DOWNLOADED","org":135404}`; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
}
