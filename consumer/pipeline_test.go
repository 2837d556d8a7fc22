package consumer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/memory"
)

// recorder is a sink that records what it saw and can be told to fail.
type recorder struct {
	mu   sync.Mutex
	seen []*consumer.Event
	fail func(ev *consumer.Event) error
}

func (r *recorder) Deliver(_ context.Context, ev *consumer.Event) error {
	if r.fail != nil {
		if err := r.fail(ev); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.seen = append(r.seen, ev)
	r.mu.Unlock()
	return nil
}

func (r *recorder) Close() error { return nil }

// order is the keys in the order the sink saw them.
func (r *recorder) order() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.seen))
	for i, ev := range r.seen {
		out[i] = ev.Key
	}
	return out
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.seen))
	for i, ev := range r.seen {
		out[i] = ev.Key
	}
	sort.Strings(out)
	return out
}

type quarantineRec struct {
	mu      sync.Mutex
	reasons map[string]error
}

func (q *quarantineRec) Quarantine(_ context.Context, ev *consumer.Event, reason error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.reasons == nil {
		q.reasons = map[string]error{}
	}
	q.reasons[ev.Key] = reason
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func keyParts(t *testing.T, texts ...string) []consumer.KeyPart {
	t.Helper()
	var out []consumer.KeyPart
	for _, s := range texts {
		k, err := consumer.ParseKeyPart(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func newPipeline(t *testing.T, cfg consumer.Config) *consumer.Pipeline {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = memory.New()
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	p, err := consumer.NewPipeline(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func msg(id, body string) *consumer.Message {
	return &consumer.Message{ID: id, Body: []byte(body), Source: "test", ReceivedAt: time.Now()}
}

func photo(id int, status, date string) string {
	return fmt.Sprintf(`{"domainClass":"us.cloudcard.api.Photo","id":%d,"status":%q,"dateCreated":%q,"links":{"bytes":"https://example.com/%d.jpg"}}`,
		id, status, date, id)
}

func wantOutcomes(t *testing.T, got []consumer.Outcome, want ...consumer.Outcome) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
}

func TestPhotoDedupeOnIDAndStatus(t *testing.T) {
	t.Parallel()
	sink := &recorder{}
	p := newPipeline(t, consumer.Config{
		Key:    keyParts(t, "id", "status"),
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
	})
	ctx := context.Background()
	out := p.Process(ctx, []*consumer.Message{
		msg("m1", photo(1419977, "APPROVED", "2023-11-27T05:40:45+0000")),
		msg("m2", photo(1419977, "APPROVED", "2023-11-27T05:40:45+0000")), // same id+status, other MessageId
		msg("m3", photo(1419977, "DOWNLOADED", "2023-11-27T05:40:45+0000")),
	})
	wantOutcomes(t, out, consumer.Delivered, consumer.Duplicate, consumer.Delivered)
	// A redelivery in a later batch is a duplicate too.
	out = p.Process(ctx, []*consumer.Message{msg("m3", photo(1419977, "DOWNLOADED", "2023-11-27T05:40:45+0000"))})
	wantOutcomes(t, out, consumer.Duplicate)
	if got := fmt.Sprint(sink.keys()); got != "[1419977|APPROVED 1419977|DOWNLOADED]" {
		t.Fatalf("sink saw %s", got)
	}
	s := p.Stats().Snapshot()
	if s.Messages != 4 || s.Delivered != 2 || s.Duplicates != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestStaleUpdatesDropped(t *testing.T) {
	t.Parallel()
	sink := &recorder{}
	p := newPipeline(t, consumer.Config{
		Key:     keyParts(t, "id", "status"),
		Entity:  consumer.MustParsePath("id"),
		Version: consumer.MustParsePath("dateCreated"),
		Routes:  []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
	})
	ctx := context.Background()
	// Within one batch, the older update is applied first, then the newer.
	out := p.Process(ctx, []*consumer.Message{
		msg("b", photo(7, "DOWNLOADED", "2023-11-27T05:41:00+0000")),
		msg("a", photo(7, "APPROVED", "2023-11-27T05:40:45+0000")),
	})
	wantOutcomes(t, out, consumer.Delivered, consumer.Delivered)
	if got := fmt.Sprint(sink.order()); got != "[7|APPROVED 7|DOWNLOADED]" {
		t.Fatalf("order %s", got)
	}
	// A late, older update of the same entity is stale; another entity is
	// not affected; an equal version is not stale.
	out = p.Process(ctx, []*consumer.Message{
		msg("c", photo(7, "PENDING", "2023-11-27T05:30:00+0000")),
		msg("d", photo(8, "PENDING", "2023-11-27T05:30:00+0000")),
		msg("e", photo(7, "DONE", "2023-11-27T05:41:00+0000")),
	})
	wantOutcomes(t, out, consumer.Stale, consumer.Delivered, consumer.Delivered)
	if s := p.Stats().Snapshot(); s.Stale != 1 {
		t.Fatalf("stale = %d", s.Stale)
	}
}

func TestSplitTaskEventsDedupeOnEventDocId(t *testing.T) {
	t.Parallel()
	submitted, reviewable := &recorder{}, &recorder{}
	p := newPipeline(t, consumer.Config{
		Key:   keyParts(t, "message:EventDocId"),
		Split: consumer.MustParsePath("Events"),
		Routes: []consumer.Route{
			{Name: "submitted", Field: consumer.MustParsePath("EventType"), Values: []string{"AssignmentSubmitted"},
				Sinks: []consumer.NamedSink{{Name: "submitted", Sink: submitted}}},
			{Name: "rest", Sinks: []consumer.NamedSink{{Name: "rest", Sink: reviewable}}},
		},
	})
	doc := `{"EventDocVersion":"2014-08-15","EventDocId":"d-1","CustomerId":"A1","Events":[
		{"EventType":"AssignmentSubmitted","EventTimestamp":"2014-05-01T10:00:00Z","HITTypeId":"T","HITId":"H1","AssignmentId":"A-1"},
		{"EventType":"HITReviewable","EventTimestamp":"2014-05-01T10:00:01Z","HITTypeId":"T","HITId":"H1"}]}`
	ctx := context.Background()
	out := p.Process(ctx, []*consumer.Message{msg("m1", doc)})
	wantOutcomes(t, out, consumer.Delivered)
	// The same document in a second SQS message (distinct MessageId) is a
	// duplicate.
	out = p.Process(ctx, []*consumer.Message{msg("m2", doc)})
	wantOutcomes(t, out, consumer.Duplicate)
	if got := fmt.Sprint(submitted.keys(), reviewable.keys()); got != "[d-1#0] [d-1#1]" {
		t.Fatalf("routed %s", got)
	}
	var ev map[string]any
	if err := json.Unmarshal(submitted.seen[0].Body, &ev); err != nil || ev["AssignmentId"] != "A-1" {
		t.Fatalf("event body %s", submitted.seen[0].Body)
	}
}

func TestSNSEnvelopeUnwrapped(t *testing.T) {
	t.Parallel()
	sink := &recorder{}
	p := newPipeline(t, consumer.Config{
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
	})
	job := `{"uuid":"u-1","stateMachine":"SO0050-m2csolution-gt-labeling","status":"ERROR","errorMessage":"boom","input":{"uuid":"u-1"}}`
	envBody, _ := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:000000000000:jobs",
		"Subject": "job", "Message": job, "Timestamp": "2026-11-24T00:00:00.000Z", "SignatureVersion": "1",
		"MessageAttributes": map[string]any{"status": map[string]string{"Type": "String", "Value": "ERROR"}},
	})
	raw := msg("sqs-2", job)
	raw.Attributes = map[string]string{"status": "ERROR"}
	out := p.Process(context.Background(), []*consumer.Message{msg("sqs-1", string(envBody)), raw})
	wantOutcomes(t, out, consumer.Delivered, consumer.Delivered)
	a, b := sink.seen[0], sink.seen[1]
	if a.Message.ID != "sqs-1" {
		a, b = b, a
	}
	if string(a.Body) != job || string(b.Body) != job {
		t.Fatalf("bodies %q %q", a.Body, b.Body)
	}
	if a.MessageID != "sns-1" || a.Key != "sns-1" || a.TopicArn == "" || a.Subject != "job" || a.Attributes["status"] != "ERROR" {
		t.Fatalf("enveloped event %+v", a)
	}
	if b.MessageID != "sqs-2" || b.Attributes["status"] != "ERROR" {
		t.Fatalf("raw event %+v", b)
	}
}

type validatorFunc func(doc any) error

func (f validatorFunc) Validate(doc any) error { return f(doc) }

func TestInvalidEventsQuarantined(t *testing.T) {
	t.Parallel()
	sink, q := &recorder{}, &quarantineRec{}
	schema := validatorFunc(func(doc any) error {
		if m, ok := doc.(map[string]any); !ok || m["id"] == nil {
			return errors.New("missing property 'id'")
		}
		return nil
	})
	p := newPipeline(t, consumer.Config{
		Schema: schema, Quarantine: q,
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
	})
	out := p.Process(context.Background(), []*consumer.Message{
		msg("ok", `{"id":1}`), msg("bad", `{"name":"x"}`), msg("notjson", `hello`),
	})
	wantOutcomes(t, out, consumer.Delivered, consumer.Quarantined, consumer.Quarantined)
	if len(q.reasons) != 2 || q.reasons["bad"] == nil || q.reasons["notjson"] == nil {
		t.Fatalf("quarantined %v", q.reasons)
	}
	// Without a quarantine, an invalid message is never acknowledged.
	p2 := newPipeline(t, consumer.Config{
		Schema: schema, Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
	})
	wantOutcomes(t, p2.Process(context.Background(), []*consumer.Message{msg("bad", `{}`)}), consumer.Failed)
}

func TestSinkFailures(t *testing.T) {
	t.Parallel()
	store := memory.New()
	var mu sync.Mutex
	failures := 1
	sink := &recorder{fail: func(ev *consumer.Event) error {
		if string(ev.Body) == `{"kind":"refused"}` {
			return consumer.Permanentf("HTTP 400")
		}
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return errors.New("connection refused")
		}
		return nil
	}}
	q := &quarantineRec{}
	p := newPipeline(t, consumer.Config{
		Store: store, Quarantine: q,
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
	})
	ctx := context.Background()
	wantOutcomes(t, p.Process(ctx, []*consumer.Message{msg("m1", `{"kind":"ok"}`)}), consumer.Failed)
	// The failed key was released: the redelivery is processed at once.
	wantOutcomes(t, p.Process(ctx, []*consumer.Message{msg("m1", `{"kind":"ok"}`)}), consumer.Delivered)
	wantOutcomes(t, p.Process(ctx, []*consumer.Message{msg("m2", `{"kind":"refused"}`)}), consumer.Quarantined)
	if q.reasons["m2"] == nil {
		t.Fatal("permanent failure not quarantined")
	}
	s := p.Stats().Snapshot()
	if s.Sinks["rec"].Failed != 1 || s.Sinks["rec"].Permanent != 1 || s.Sinks["rec"].Delivered != 1 {
		t.Fatalf("sink stats %+v", s.Sinks["rec"])
	}
}

// A duplicate arriving while the first copy is being processed by another
// listener waits for it and is then skipped: never processed twice at once.
func TestConcurrentDuplicateWaits(t *testing.T) {
	t.Parallel()
	store := memory.New()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := &recorder{fail: func(*consumer.Event) error {
		entered <- struct{}{}
		<-release
		return nil
	}}
	fast := &recorder{}
	p1 := newPipeline(t, consumer.Config{Store: store, Owner: "one",
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "slow", Sink: slow}}}}})
	p2 := newPipeline(t, consumer.Config{Store: store, Owner: "two", BusyWait: 5 * time.Second,
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "fast", Sink: fast}}}}})
	ctx := context.Background()
	first := make(chan []consumer.Outcome)
	go func() { first <- p1.Process(ctx, []*consumer.Message{msg("same", `{}`)}) }()
	<-entered
	second := make(chan []consumer.Outcome)
	go func() { second <- p2.Process(ctx, []*consumer.Message{msg("same", `{}`)}) }()
	// p2 is waiting on the busy key; let p1 finish.
	for p2.Stats().Snapshot().BusyWaits == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wantOutcomes(t, <-first, consumer.Delivered)
	wantOutcomes(t, <-second, consumer.Duplicate)
	if len(fast.keys()) != 0 {
		t.Fatal("duplicate processed by the second listener")
	}

	// If the holder never finishes within BusyWait, the message is left for
	// redelivery rather than processed twice at once.
	hold := make(chan struct{})
	defer close(hold)
	entered2 := make(chan struct{}, 1)
	stuck := &recorder{fail: func(*consumer.Event) error { entered2 <- struct{}{}; <-hold; return nil }}
	p3 := newPipeline(t, consumer.Config{Store: store, Owner: "three",
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "stuck", Sink: stuck}}}}})
	p4 := newPipeline(t, consumer.Config{Store: store, Owner: "four", BusyWait: 100 * time.Millisecond,
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "fast", Sink: fast}}}}})
	go p3.Process(ctx, []*consumer.Message{msg("held", `{}`)})
	<-entered2
	wantOutcomes(t, p4.Process(ctx, []*consumer.Message{msg("held", `{}`)}), consumer.Failed)
}

func TestUnroutedAndDefaultKey(t *testing.T) {
	t.Parallel()
	sink := &recorder{}
	p := newPipeline(t, consumer.Config{
		Routes: []consumer.Route{{Field: consumer.MustParsePath("status"), Values: []string{"COMPLETED"},
			Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
	})
	out := p.Process(context.Background(), []*consumer.Message{
		msg("m1", `{"status":"COMPLETED"}`), msg("m2", `{"status":"ERROR"}`), msg("m3", `{}`),
	})
	wantOutcomes(t, out, consumer.Delivered, consumer.Unrouted, consumer.Unrouted)
	if got := fmt.Sprint(sink.keys()); got != "[m1]" {
		t.Fatalf("keys %s", got)
	}
}

func TestMissingKeyFieldQuarantined(t *testing.T) {
	t.Parallel()
	q := &quarantineRec{}
	p := newPipeline(t, consumer.Config{
		Key: keyParts(t, "EventDocId"), Quarantine: q,
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: &recorder{}}}}},
	})
	wantOutcomes(t, p.Process(context.Background(), []*consumer.Message{msg("m1", `{"x":1}`)}), consumer.Quarantined)
	if q.reasons["m1"] == nil {
		t.Fatal("not quarantined under the message id")
	}
}

// Two batches of one pipeline processing the same key at once: the second
// waits for the first and finds a duplicate.
func TestSameKeyInConcurrentBatches(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var calls sync.Map
	sink := &recorder{fail: func(ev *consumer.Event) error {
		if _, loaded := calls.LoadOrStore(ev.Key, true); !loaded {
			entered <- struct{}{}
			<-release
		}
		return nil
	}}
	p := newPipeline(t, consumer.Config{Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "rec", Sink: sink}}}},
		Key: keyParts(t, "id")})
	ctx := context.Background()
	first := make(chan []consumer.Outcome)
	go func() { first <- p.Process(ctx, []*consumer.Message{msg("a", `{"id":1}`)}) }()
	<-entered
	second := make(chan []consumer.Outcome)
	go func() { second <- p.Process(ctx, []*consumer.Message{msg("b", `{"id":1}`)}) }()
	for p.Stats().Snapshot().BusyWaits == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wantOutcomes(t, <-first, consumer.Delivered)
	wantOutcomes(t, <-second, consumer.Duplicate)
}

// FuzzProcess runs arbitrary bodies through a pipeline that unwraps,
// splits, keys, orders and routes: it must never panic, and every message
// gets an outcome.
func FuzzProcess(f *testing.F) {
	f.Add(`{"Type":"Notification","MessageId":"m","TopicArn":"arn:t","Message":"{\"Events\":[{\"id\":1,\"v\":2}]}"}`)
	f.Add(`{"Events":[{"id":1,"v":"2023-11-27T05:40:45+0000"},{"id":1,"v":1},{"id":"x"}],"EventDocId":"d"}`)
	f.Add(`{"Events":{"id":1}}`)
	f.Add(`not json`)
	f.Add(`{"Events":[[],null,1,"s"]}`)
	f.Fuzz(func(t *testing.T, body string) {
		p := newPipeline(t, consumer.Config{
			Key:        keyParts(t, "message:EventDocId", "id"),
			Split:      consumer.MustParsePath("Events"),
			Entity:     consumer.MustParsePath("id"),
			Version:    consumer.MustParsePath("v"),
			Quarantine: &quarantineRec{},
			Routes: []consumer.Route{
				{Field: consumer.MustParsePath("id"), Values: []string{"1"}, Sinks: []consumer.NamedSink{{Name: "a", Sink: &recorder{}}}},
				{Sinks: []consumer.NamedSink{{Name: "b", Sink: &recorder{}}}},
			},
		})
		out := p.Process(context.Background(), []*consumer.Message{msg("m1", body), msg("m2", body)})
		if len(out) != 2 {
			t.Fatalf("%d outcomes", len(out))
		}
		for _, o := range out {
			if o == consumer.Failed {
				t.Fatalf("failed outcome for %q", body)
			}
		}
	})
}
