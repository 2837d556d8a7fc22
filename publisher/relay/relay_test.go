package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

func TestPublishDeliversToQueueInCloudEvents(t *testing.T) {
	e := newEnv(t, nil)
	url := e.broker.CreateQueue(t, "photos", nil)
	sub := e.subscribe(subscription.Subscription{Tenant: "acme", Statuses: []string{"DOWNLOADED"},
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: url}})
	other := e.subscribe(subscription.Subscription{Tenant: "other",
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: url}})
	e.run()

	out := e.publish(event("acme", "1419977", "PENDING"), event("acme", "1419977", "APPROVED"), event("acme", "1419977", "DOWNLOADED"))
	if got := out[2].Event.Sequence; got != 3 {
		t.Fatalf("third event's sequence = %d, want 3", got)
	}
	d := e.waitState(out[2].Event.ID, sub.ID, store.StateDelivered, 5*time.Second)
	if d.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", d.Attempts)
	}
	for _, a := range out[:2] {
		if ds, _ := e.store.ListDeliveries(context.Background(), store.DeliveryFilter{EventID: a.Event.ID}); len(ds) != 0 {
			t.Errorf("event %s (%s) got deliveries %v; only DOWNLOADED is subscribed", a.Event.ID, a.Event.Status, ds)
		}
	}
	if ds, _ := e.store.ListDeliveries(context.Background(), store.DeliveryFilter{SubscriptionID: other.ID}); len(ds) != 0 {
		t.Errorf("another tenant's subscription got %d deliveries", len(ds))
	}

	msg := receiveOne(t, e, url)
	var ce map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(msg.Body)), &ce); err != nil {
		t.Fatal(err)
	}
	if ce["id"] != out[2].Event.ID || ce["heraldsequence"] != "3" || ce["heraldstatus"] != "DOWNLOADED" || ce["specversion"] != "1.0" {
		t.Errorf("notification = %v", ce)
	}
}

func receiveOne(t *testing.T, e *env, url string) *sqsMessage {
	t.Helper()
	out, err := e.broker.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages, want 1", len(out.Messages))
	}
	return &out.Messages[0]
}

func TestPerEntityOrderHoldsBehindARetry(t *testing.T) {
	e := newEnv(t, func(c *relay.Config) {
		c.Retry.Base, c.Retry.Max = 150*time.Millisecond, 150*time.Millisecond
		c.Breaker.Failures = 100
	})
	ep := newEndpoint(t)
	failures := 0
	ep.setStatus(func(body map[string]any) int {
		data := body["data"].(map[string]any)
		if data["id"] == "A" && data["status"] == "APPROVED" && failures < 2 {
			failures++
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationHTTPS, URL: ep.URL}})
	e.run()
	out := e.publish(event("acme", "A", "APPROVED"), event("acme", "A", "DOWNLOADED"), event("acme", "B", "APPROVED"))
	e.waitState(out[1].Event.ID, sub.ID, store.StateDelivered, 10*time.Second)
	var order []string
	for _, b := range ep.bodies() {
		d := b["data"].(map[string]any)
		order = append(order, d["id"].(string)+":"+d["status"].(string))
	}
	// B does not wait for A; A's DOWNLOADED waits for A's APPROVED.
	if len(order) != 3 || order[0] != "B:APPROVED" || order[1] != "A:APPROVED" || order[2] != "A:DOWNLOADED" {
		t.Fatalf("delivery order = %v, want [B:APPROVED A:APPROVED A:DOWNLOADED]", order)
	}
	d, _ := e.store.GetDelivery(context.Background(), e.waitState(out[0].Event.ID, sub.ID, store.StateDelivered, time.Second).ID)
	if d.Attempts != 3 {
		t.Errorf("A:APPROVED attempts = %d, want 3", d.Attempts)
	}
}

func TestRetryThenDeadThenReplay(t *testing.T) {
	e := newEnv(t, func(c *relay.Config) { c.Breaker.Failures = 100 })
	ep := newEndpoint(t)
	ep.setStatus(func(map[string]any) int { return http.StatusInternalServerError })
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationHTTPS, URL: ep.URL}})
	e.run()
	out := e.publish(event("acme", "1", "FAILED"))
	dead := e.waitState(out[0].Event.ID, sub.ID, store.StateDead, 10*time.Second)
	if dead.Attempts != 4 {
		t.Errorf("dead after %d attempts, want 4 (MaxAttempts)", dead.Attempts)
	}
	attempts, err := e.store.Attempts(context.Background(), dead.ID)
	if err != nil || len(attempts) != 4 {
		t.Fatalf("attempts = %v, %v", attempts, err)
	}
	if attempts[3].Outcome != store.Dead || attempts[0].Outcome != store.Retry {
		t.Errorf("attempt outcomes %v", attempts)
	}
	if dead.LastError == "" {
		t.Error("a dead delivery has no last error")
	}

	ep.setStatus(nil) // the endpoint recovers
	id, err := e.relay.ReplayDelivery(context.Background(), dead.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := e.waitState(out[0].Event.ID, sub.ID, store.StateDelivered, 5*time.Second)
	if got.ID != id {
		t.Errorf("delivered %s, want the replay %s", got.ID, id)
	}
	if n := len(ep.bodies()); n != 1 {
		t.Errorf("endpoint accepted %d notifications, want 1", n)
	}
}

func TestPermanentFailureDiesAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	ep := newEndpoint(t)
	ep.setStatus(func(map[string]any) int { return http.StatusGone })
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationHTTPS, URL: ep.URL}})
	e.run()
	out := e.publish(event("acme", "1", "X"))
	d := e.waitState(out[0].Event.ID, sub.ID, store.StateDead, 5*time.Second)
	if d.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", d.Attempts)
	}
}

func TestBreakerHoldsAFailingDestinationWithoutSpendingAttempts(t *testing.T) {
	e := newEnv(t, func(c *relay.Config) {
		c.Retry = relay.RetryPolicy{MaxAttempts: 50, Base: 5 * time.Millisecond, Max: 5 * time.Millisecond}
		c.Breaker = relay.BreakerPolicy{Failures: 3, Cooldown: 300 * time.Millisecond}
	})
	ep := newEndpoint(t)
	ep.setStatus(func(map[string]any) int { return http.StatusServiceUnavailable })
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationHTTPS, URL: ep.URL}})
	e.run()
	out := e.publish(event("acme", "1", "X"))
	time.Sleep(700 * time.Millisecond)
	ep.mu.Lock()
	n := ep.attempts
	ep.mu.Unlock()
	// Without the breaker: about 700ms / 5ms = 140 attempts. With it: 3,
	// then a probe per cooldown.
	if n < 3 || n > 6 {
		t.Errorf("endpoint saw %d attempts in 700ms, want 3 to 6 with the circuit open", n)
	}
	if st := e.relay.Stats(); st.OpenCircuits != 1 || st.Held == 0 {
		t.Errorf("stats = %+v, want one open circuit and held deliveries", st)
	}
	ep.setStatus(nil)
	e.waitState(out[0].Event.ID, sub.ID, store.StateDelivered, 5*time.Second)
	if st := e.relay.Stats(); st.OpenCircuits != 0 {
		t.Errorf("circuit still open after a success: %+v", st)
	}
}

func TestTestNotificationReportsTheDestinationsAnswer(t *testing.T) {
	e := newEnv(t, nil)
	url := e.broker.CreateQueue(t, "tests", nil)
	ok := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: url}})
	res, err := e.relay.Test(context.Background(), ok.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Delivered || res.Detail == "" || res.Event.Type != relay.TestType {
		t.Errorf("test to an existing queue: %+v", res)
	}
	msg := receiveOne(t, e, url)
	if aws.ToString(msg.Body) != res.Body {
		t.Errorf("queue got %s, report says %s", aws.ToString(msg.Body), res.Body)
	}

	gone := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: e.broker.URL + "/000000000000/no-such-queue"}})
	res, err = e.relay.Test(context.Background(), gone.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered || res.Code == "" || res.Error == "" {
		t.Errorf("test to a missing queue: %+v", res)
	}
	t.Logf("missing queue reported as %s: %s", res.Code, res.Error)

	if _, err := e.relay.Test(context.Background(), "nope", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("test of an unknown subscription: %v", err)
	}
}

func TestPublishIsIdempotentOnItsKey(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	in := []relay.Input{{Event: event("acme", "1", "A"), IdempotencyKey: "k1"}}
	first, err := e.relay.Publish(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.relay.Publish(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !again[0].Duplicate || again[0].Event.ID != first[0].Event.ID {
		t.Errorf("second publish = %+v, want the first event as a duplicate", again[0])
	}
	if _, err := e.relay.Publish(ctx, []relay.Input{{Event: &publisherEventMissingTenant}}); !errors.Is(err, relay.ErrInvalid) {
		t.Errorf("invalid event: %v, want ErrInvalid", err)
	}
}

func TestDeletedSubscriptionsPendingDeliveriesDie(t *testing.T) {
	e := newEnv(t, nil)
	url := e.broker.CreateQueue(t, "q", nil)
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: url}})
	out := e.publish(event("acme", "1", "A"))
	if err := e.relay.DeleteSubscription(context.Background(), sub.ID); err != nil {
		t.Fatal(err)
	}
	e.run()
	d := e.waitState(out[0].Event.ID, sub.ID, store.StateDead, 5*time.Second)
	if d.LastError == "" {
		t.Error("no reason given")
	}
}

func TestDestinationRateLimit(t *testing.T) {
	e := newEnv(t, func(c *relay.Config) { c.DestinationRate = 100 })
	ep := newEndpoint(t)
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationHTTPS, URL: ep.URL}})
	var evs []*publisherEvent
	for i := range 60 {
		evs = append(evs, event("acme", "e"+jsonString(string(rune('a'+i%26)))+string(rune('0'+i/26)), "X"))
	}
	start := time.Now()
	out := e.publish(evs...)
	e.run()
	for _, a := range out {
		e.waitState(a.Event.ID, sub.ID, store.StateDelivered, 10*time.Second)
	}
	// 60 notifications at 100/s: at least about 0.6 s.
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("60 deliveries at 100/s took %v", d)
	}
}
