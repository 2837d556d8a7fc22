package pubapi_test

import (
	"net/http"
	"strings"
	"testing"
)

type delivery struct {
	ID             string `json:"id"`
	EventID        string `json:"event_id"`
	SubscriptionID string `json:"subscription_id"`
	State          string `json:"state"`
	AttemptCount   int    `json:"attempt_count"`
	Attempts       []struct {
		N       int    `json:"n"`
		Outcome string `json:"outcome"`
		Detail  string `json:"detail"`
	} `json:"attempts"`
}

// TestDeliverAndReplay follows an event to an SQS queue through the
// running relay, then looks at its deliveries and replays them.
func TestDeliverAndReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{run: true})
	qurl, subID := e.createQueueSubscription("acme", "photos")

	var ev publishedEvent
	e.do("POST", "/v1/events", event("acme", "1419977")).json(t, http.StatusAccepted, &ev)
	if body := e.receive(qurl); !strings.Contains(body, ev.ID) {
		t.Fatalf("received %s, want event %s", body, ev.ID)
	}

	// The event's deliveries, with attempts.
	var evd struct{ Deliveries []delivery }
	eventually(t, "the delivery to be recorded", func() bool {
		e.do("GET", "/v1/events/"+ev.ID+"/deliveries", nil).json(t, http.StatusOK, &evd)
		return len(evd.Deliveries) == 1 && evd.Deliveries[0].State == "delivered"
	})
	d := evd.Deliveries[0]
	if d.SubscriptionID != subID || d.EventID != ev.ID || d.AttemptCount != 1 || len(d.Attempts) != 1 ||
		d.Attempts[0].N != 1 || d.Attempts[0].Outcome != "delivered" || d.Attempts[0].Detail == "" {
		t.Fatalf("delivery %+v", d)
	}
	e.do("GET", "/v1/events/nope/deliveries", nil).problem(t, http.StatusNotFound)

	var one delivery
	e.do("GET", "/v1/deliveries/"+d.ID, nil).json(t, http.StatusOK, &one)
	if one.ID != d.ID || len(one.Attempts) != 1 {
		t.Errorf("GET delivery = %+v", one)
	}
	e.do("GET", "/v1/deliveries/nope", nil).problem(t, http.StatusNotFound)

	// Replay one delivery.
	var rd struct{ Delivery string }
	e.do("POST", "/v1/deliveries/"+d.ID+"/replay", nil).json(t, http.StatusAccepted, &rd)
	if rd.Delivery == "" || rd.Delivery == d.ID {
		t.Fatalf("replayed delivery %q", rd.Delivery)
	}
	if body := e.receive(qurl); !strings.Contains(body, ev.ID) {
		t.Fatalf("replay received %s", body)
	}
	e.do("POST", "/v1/deliveries/nope/replay", nil).problem(t, http.StatusNotFound)

	// Replay by event ids, then by range.
	var ids struct{ Deliveries []string }
	e.do("POST", "/v1/subscriptions/"+subID+"/replay", map[string]any{"event_ids": []string{ev.ID}}).json(t, http.StatusAccepted, &ids)
	if len(ids.Deliveries) != 1 {
		t.Fatalf("replay by ids: %+v", ids)
	}
	e.receive(qurl)
	var n struct{ Replayed int }
	e.do("POST", "/v1/subscriptions/"+subID+"/replay", map[string]any{"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}).json(t, http.StatusAccepted, &n)
	if n.Replayed != 1 {
		t.Fatalf("replay range: %+v", n)
	}
	e.receive(qurl)
	p := e.do("POST", "/v1/subscriptions/"+subID+"/replay", map[string]any{"event_ids": []string{"nope"}}).problem(t, http.StatusNotFound)
	if !strings.Contains(p.Detail, "nope") {
		t.Errorf("unknown event: %+v", p)
	}
	p = e.do("POST", "/v1/subscriptions/"+subID+"/replay", map[string]any{"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}).problem(t, http.StatusBadRequest)
	if !strings.Contains(p.Detail, "from before to") {
		t.Errorf("reversed range: %+v", p)
	}

	// Four deliveries of the subscription now, all delivered in the end.
	var list struct {
		Deliveries []delivery
		Next       string
	}
	eventually(t, "four delivered", func() bool {
		e.do("GET", "/v1/subscriptions/"+subID+"/deliveries?state=delivered", nil).json(t, http.StatusOK, &list)
		return len(list.Deliveries) == 4
	})
	e.do("GET", "/v1/deliveries?subscription_id="+subID+"&event_id="+ev.ID+"&limit=3", nil).json(t, http.StatusOK, &list)
	if len(list.Deliveries) != 3 || list.Next != list.Deliveries[2].ID || list.Deliveries[0].Attempts != nil || list.Deliveries[0].AttemptCount != 1 {
		t.Fatalf("page 1: %+v", list)
	}
	e.do("GET", "/v1/deliveries?subscription_id="+subID+"&after="+list.Next, nil).json(t, http.StatusOK, &list)
	if len(list.Deliveries) != 1 || list.Next != "" {
		t.Errorf("page 2: %+v", list)
	}
	e.do("GET", "/v1/subscriptions/"+subID+"/deliveries?state=dead", nil).json(t, http.StatusOK, &list)
	if len(list.Deliveries) != 0 || list.Deliveries == nil {
		t.Errorf("dead: %+v", list)
	}
	e.do("GET", "/v1/subscriptions/nope/deliveries", nil).problem(t, http.StatusNotFound)

	// An inactive subscription cannot be replayed to.
	e.do("PUT", "/v1/subscriptions/"+subID, map[string]any{"tenant": "acme", "active": false,
		"destination": map[string]any{"type": "sqs", "url": qurl}}).json(t, http.StatusOK, nil)
	p = e.do("POST", "/v1/deliveries/"+d.ID+"/replay", nil).problem(t, http.StatusBadRequest)
	if !strings.Contains(p.Detail, "inactive") {
		t.Errorf("inactive: %+v", p)
	}
}

type testResult struct {
	Delivered   bool   `json:"delivered"`
	Destination string `json:"destination"`
	Detail      string `json:"detail"`
	Error       string `json:"error"`
	Body        string `json:"body"`
	Event       struct {
		Type   string `json:"type"`
		Status string `json:"status"`
	} `json:"event"`
}

func TestTestNotification(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	qurl, subID := e.createQueueSubscription("acme", "tests")

	var res testResult
	e.do("POST", "/v1/subscriptions/"+subID+"/test", nil).json(t, http.StatusOK, &res)
	if !res.Delivered || res.Event.Type != "herald.test" || !strings.Contains(res.Destination, "tests") {
		t.Fatalf("test = %+v", res)
	}
	if body := e.receive(qurl); body != res.Body {
		t.Errorf("received %s, want %s", body, res.Body)
	}

	// With an event of the caller's; the tenant defaults to the
	// subscription's.
	e.do("POST", "/v1/subscriptions/"+subID+"/test", map[string]any{"event": map[string]any{
		"entity_type": "photo", "entity_id": "1", "type": "photo.status_changed", "status": "LIVE"}}).json(t, http.StatusOK, &res)
	if !res.Delivered || res.Event.Status != "LIVE" {
		t.Fatalf("test with event = %+v", res)
	}
	e.receive(qurl)
	p := e.do("POST", "/v1/subscriptions/"+subID+"/test", `{"event":{"status":"LIVE"}}`).problem(t, http.StatusBadRequest)
	if len(p.Errors) != 3 {
		t.Errorf("invalid test event: %+v", p)
	}
	e.do("POST", "/v1/subscriptions/"+subID+"/test", `{"evnt":{}}`).problem(t, http.StatusBadRequest)
	e.do("POST", "/v1/subscriptions/nope/test", nil).problem(t, http.StatusNotFound)

	// A destination that refuses is a report, not an error.
	var gone struct{ ID string }
	e.do("POST", "/v1/subscriptions", map[string]any{"tenant": "acme",
		"destination": map[string]any{"type": "sqs", "url": e.broker.URL + "/000000000000/missing"}}).json(t, http.StatusCreated, &gone)
	e.do("POST", "/v1/subscriptions/"+gone.ID+"/test", nil).json(t, http.StatusOK, &res)
	if res.Delivered || res.Error == "" {
		t.Errorf("test to a missing queue = %+v", res)
	}
}
