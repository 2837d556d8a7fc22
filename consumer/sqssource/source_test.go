package sqssource_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/sqssource"
	"github.com/herald-dev/herald/consumer/store/memory"
	"github.com/herald-dev/herald/internal/brokertest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// seen is a sink that records bodies and can fail or block.
type seen struct {
	mu     sync.Mutex
	bodies map[string]int
	hook   func(ev *consumer.Event) error
	got    chan string
}

func newSeen() *seen { return &seen{bodies: map[string]int{}, got: make(chan string, 1000)} }

func (s *seen) Deliver(ctx context.Context, ev *consumer.Event) error {
	if s.hook != nil {
		if err := s.hook(ev); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.bodies[string(ev.Body)]++
	s.mu.Unlock()
	s.got <- string(ev.Body)
	return nil
}

func (s *seen) Close() error { return nil }

func (s *seen) count(body string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[body]
}

func pipeline(t *testing.T, sink consumer.Sink, q consumer.Quarantine) *consumer.Pipeline {
	t.Helper()
	p, err := consumer.NewPipeline(consumer.Config{
		Store: memory.New(), Logger: quiet(), Quarantine: q,
		Routes: []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "seen", Sink: sink}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run starts src and returns a func that stops it and waits for Run.
func run(t *testing.T, src *sqssource.Source) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func send(t *testing.T, b *brokertest.Broker, url string, bodies ...string) {
	t.Helper()
	for _, body := range bodies {
		if _, err := b.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
}

func counts(t *testing.T, b *brokertest.Broker, url string) (visible, invisible int) {
	t.Helper()
	out, err := b.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"},
	})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	invisible, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible, invisible
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConsumesAndDeletes(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	url := b.CreateQueue(t, "photos", nil)
	sink := newSeen()
	src, err := sqssource.New(sqssource.Config{QueueURL: url, Concurrency: 3, WaitTime: consumer.Duration(time.Second)},
		b.SQS, pipeline(t, sink, nil), quiet())
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)
	var bodies []string
	for i := 0; i < 50; i++ {
		bodies = append(bodies, fmt.Sprintf(`{"id":%d,"status":"APPROVED"}`, i))
	}
	send(t, b, url, bodies...)
	for range bodies {
		<-sink.got
	}
	waitFor(t, "queue to drain", func() bool { v, i := counts(t, b, url); return v == 0 && i == 0 })
	for _, body := range bodies {
		if n := sink.count(body); n != 1 {
			t.Fatalf("%s delivered %d times", body, n)
		}
	}
	waitFor(t, "50 deletes counted", func() bool { return src.Stats().Deleted.Load() == 50 })
}

// Only the messages whose sink succeeded are deleted; the failed one comes
// back after its visibility timeout and then succeeds.
func TestPartialBatchAcknowledgement(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	url := b.CreateQueue(t, "partial", map[string]string{"VisibilityTimeout": "1"})
	sink := newSeen()
	var mu sync.Mutex
	failOnce := map[string]bool{`{"n":2}`: true}
	sink.hook = func(ev *consumer.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if failOnce[string(ev.Body)] {
			delete(failOnce, string(ev.Body))
			return errors.New("downstream unavailable")
		}
		return nil
	}
	send(t, b, url, `{"n":1}`, `{"n":2}`, `{"n":3}`)
	src, err := sqssource.New(sqssource.Config{QueueURL: url, Concurrency: 1, WaitTime: consumer.Duration(time.Second)},
		b.SQS, pipeline(t, sink, nil), quiet())
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)
	for i := 0; i < 3; i++ {
		<-sink.got
	}
	if sink.count(`{"n":2}`) != 1 || sink.count(`{"n":1}`) != 1 || sink.count(`{"n":3}`) != 1 {
		t.Fatalf("deliveries %v", sink.bodies)
	}
	waitFor(t, "queue to drain", func() bool { v, i := counts(t, b, url); return v == 0 && i == 0 })
}

// A message slower than the visibility timeout is kept invisible by the
// heartbeat, so it is not received a second time meanwhile.
func TestHeartbeatKeepsSlowMessageInvisible(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	url := b.CreateQueue(t, "slow", nil)
	sink := newSeen()
	var calls sync.Map
	sink.hook = func(ev *consumer.Event) error {
		n, _ := calls.LoadOrStore(ev.MessageID, new(int))
		*(n.(*int))++
		time.Sleep(2500 * time.Millisecond) // > 2 visibility timeouts
		return nil
	}
	send(t, b, url, `{"slow":true}`)
	src, err := sqssource.New(sqssource.Config{
		QueueURL: url, Concurrency: 2, WaitTime: consumer.Duration(time.Second),
		VisibilityTimeout: consumer.Duration(time.Second),
	}, b.SQS, pipeline(t, sink, nil), quiet())
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)
	<-sink.got
	waitFor(t, "delete", func() bool { return src.Stats().Deleted.Load() == 1 })
	if src.Stats().Heartbeats.Load() < 2 {
		t.Fatalf("heartbeats = %d", src.Stats().Heartbeats.Load())
	}
	if got := src.Stats().Received.Load(); got != 1 {
		t.Fatalf("received %d times; the heartbeat did not hold it", got)
	}
}

// On shutdown, a message whose sink does not finish in time is released at
// once (visibility 0), not left invisible and certainly not deleted.
func TestShutdownReleasesUnfinished(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	url := b.CreateQueue(t, "shutdown", map[string]string{"VisibilityTimeout": "600"})
	entered := make(chan struct{})
	// The sink honours its context, which the shutdown cancels.
	blocking := consumer.SinkFunc(func(ctx context.Context, ev *consumer.Event) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})
	send(t, b, url, `{"n":1}`)
	src, err := sqssource.New(sqssource.Config{
		QueueURL: url, Concurrency: 1, WaitTime: consumer.Duration(time.Second),
		ShutdownTimeout: consumer.Duration(200 * time.Millisecond),
	}, b.SQS, pipeline(t, blocking, nil), quiet())
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, src)
	<-entered
	stop()
	if src.Stats().Released.Load() != 1 || src.Stats().Deleted.Load() != 0 {
		t.Fatalf("released %d deleted %d", src.Stats().Released.Load(), src.Stats().Deleted.Load())
	}
	// Visible again at once, despite the queue's 600 s visibility timeout.
	out, err := b.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("after shutdown: %v, %d messages", err, len(out.Messages))
	}
	if c := out.Messages[0].Attributes["ApproximateReceiveCount"]; c != "2" {
		t.Fatalf("receive count %s", c)
	}
}

func TestQuarantineToQueue(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	url := b.CreateQueue(t, "in", nil)
	dlq := b.CreateQueue(t, "in-quarantine", nil)
	q, err := sqssource.NewQuarantine(b.SQS, dlq)
	if err != nil {
		t.Fatal(err)
	}
	refuse := consumer.SinkFunc(func(ctx context.Context, ev *consumer.Event) error {
		return consumer.Permanentf("HTTP 422: unprocessable")
	})
	if _, err := b.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(`{"bad":true}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"tenant": {DataType: aws.String("String"), StringValue: aws.String("acme")}}}); err != nil {
		t.Fatal(err)
	}
	src, err := sqssource.New(sqssource.Config{QueueURL: url, Concurrency: 1, WaitTime: consumer.Duration(time.Second)},
		b.SQS, pipeline(t, refuse, q), quiet())
	if err != nil {
		t.Fatal(err)
	}
	run(t, src)
	var m types.Message
	waitFor(t, "quarantined message", func() bool {
		out, err := b.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &dlq, MessageAttributeNames: []string{"All"}})
		if err != nil || len(out.Messages) == 0 {
			return false
		}
		m = out.Messages[0]
		return true
	})
	if aws.ToString(m.Body) != `{"bad":true}` {
		t.Fatalf("body %q", aws.ToString(m.Body))
	}
	reason := aws.ToString(m.MessageAttributes["herald.quarantine.reason"].StringValue)
	if reason != "sink seen: HTTP 422: unprocessable" || aws.ToString(m.MessageAttributes["tenant"].StringValue) != "acme" {
		t.Fatalf("attributes %v / reason %q", m.MessageAttributes, reason)
	}
	waitFor(t, "source queue to drain", func() bool { v, i := counts(t, b, url); return v == 0 && i == 0 })
}

func TestStartFailsForMissingQueue(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	src, err := sqssource.New(sqssource.Config{QueueURL: b.URL + "/000000000000/nope"}, b.SQS, pipeline(t, newSeen(), nil), quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background()); err == nil {
		t.Fatal("Run started on a missing queue")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []sqssource.Config{
		{},
		{QueueURL: "not a url"},
		{QueueURL: "http://h/1/q", BatchSize: 11},
		{QueueURL: "http://h/1/q", WaitTime: consumer.Duration(21 * time.Second)},
		{QueueURL: "http://h/1/q", VisibilityTimeout: consumer.Duration(time.Millisecond)},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
