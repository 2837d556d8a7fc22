package relay

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/deliver"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// TestResult reports a test notification.
type TestResult struct {
	// Delivered tells whether the destination accepted the notification.
	Delivered bool `json:"delivered"`
	// Destination describes where it went ("sqs https://…/queue").
	Destination string `json:"destination"`
	// Detail is what the destination said on success (a message id, an
	// HTTP status, a partition and offset).
	Detail string `json:"detail,omitempty"`
	// Error is the destination's exact error on failure, Code its code
	// (e.g. "AccessDenied", "HTTP 403") and Permanent whether retrying
	// could help.
	Error     string `json:"error,omitempty"`
	Code      string `json:"code,omitempty"`
	Permanent bool   `json:"permanent,omitempty"`
	// Duration is how long the send took.
	Duration time.Duration `json:"duration_ns"`
	// Event is the test event and Body the notification sent.
	Event *publisher.Event `json:"event"`
	Body  string           `json:"body"`
}

// TestType is the event type of test notifications.
const TestType = "herald.test"

// Test sends a test notification to a subscription's destination through
// the real path (its format, the same clients, its signing secrets), now,
// outside the delivery queue, and reports what happened. ev is the event
// to send; nil means a generated test event of the subscription's tenant
// (type "herald.test", or "Ping" for the mturk-event-doc format). The
// subscription need not be active. A destination's refusal is not an
// error: it is reported in the result.
func (r *Relay) Test(ctx context.Context, subscriptionID string, ev *publisher.Event) (*TestResult, error) {
	if r.cfg.Sender == nil {
		return nil, errors.New("relay: Config.Sender is required to send test notifications")
	}
	sub, err := r.st.GetSubscription(ctx, subscriptionID)
	if err != nil {
		return nil, err
	}
	if err := sub.Validate(); err != nil {
		return nil, invalid(err)
	}
	now := r.cfg.Now().UTC()
	if ev == nil {
		ev = testEvent(sub, now)
	} else {
		e := *ev
		ev = &e
		if ev.Tenant == "" {
			ev.Tenant = sub.Tenant
		}
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = now
		}
		if err := ev.Validate(); err != nil {
			return nil, invalid(err)
		}
	}
	// A test event is its own entity's first.
	ev.ID, ev.Sequence = publisher.NewID(), 1
	msg, err := render(sub, &store.Delivery{EventID: ev.ID, Event: ev})
	if err != nil {
		return nil, invalid(err)
	}
	job := newJob(ev.ID, sub, ev, msg)
	sctx, cancel := context.WithTimeout(ctx, r.cfg.Lease)
	defer cancel()
	start := time.Now()
	res := r.cfg.Sender.Send(sctx, []*deliver.Job{job})
	out := &TestResult{
		Destination: strings.Replace(destinationKey(sub.Destination), " ", ": ", 1),
		Duration:    time.Since(start),
		Event:       ev,
		Body:        string(msg.Body),
	}
	switch {
	case len(res) == 0:
		out.Error = "sender returned no result"
	case res[0].Err == nil:
		out.Delivered, out.Detail = true, res[0].Detail
	default:
		out.Error = res[0].Err.Error()
		var de *deliver.Error
		if errors.As(res[0].Err, &de) {
			out.Code, out.Permanent = de.Code, de.Permanent
		}
	}
	return out, nil
}

// testEvent generates the test event for a subscription: type
// "herald.test" (or the subscription's first exact event type), with what
// each built-in format needs to render it.
func testEvent(sub *subscription.Subscription, now time.Time) *publisher.Event {
	ev := &publisher.Event{
		Tenant: sub.Tenant, EntityType: "test", EntityID: "test", Type: TestType, Status: "TEST",
		OccurredAt: now, Sequence: 1, Data: json.RawMessage(`{"test":true}`),
	}
	if len(sub.Statuses) > 0 {
		ev.Status = sub.Statuses[0]
	}
	if len(sub.EventTypes) > 0 && !strings.HasSuffix(sub.EventTypes[0], "*") {
		ev.Type = sub.EventTypes[0]
	}
	// What each built-in format needs to render a test event.
	switch sub.Format {
	case "mturk-event-doc":
		// The marketplace's own test event type.
		ev.Type, ev.Data = "Ping", json.RawMessage(`{"HITTypeId":"HERALDTEST"}`)
	case "media-job":
		ev.Status = "COMPLETED"
		ev.Data = json.RawMessage(`{"uuid":"test","stateMachine":"herald-test","status":"COMPLETED","input":{}}`)
	case "s3-records":
		ev.Type = "ObjectCreated:Put"
		ev.Data = json.RawMessage(`{"bucket":"herald-test","region":"us-east-1","size":0,"eTag":"d41d8cd98f00b204e9800998ecf8427e"}`)
	}
	return ev
}
