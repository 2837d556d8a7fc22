package relay_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/internal/brokertest"
	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/deliver"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/sqlite"
	"github.com/herald-dev/herald/publisher/subscription"
)

// env is a relay on a fresh embedded store, delivering through a real
// Dispatcher to the in-process broker (SQS, SNS) or httptest servers.
type env struct {
	t      *testing.T
	broker *brokertest.Broker
	relay  *relay.Relay
	store  store.Store
	cancel context.CancelFunc
	done   chan struct{}
}

// newEnv builds a relay; adjust changes its Config before New.
func newEnv(t *testing.T, adjust func(*relay.Config)) *env {
	t.Helper()
	e := newEnvB(t, adjust)
	e.t = t
	return e
}

// newEnvB is newEnv for benchmarks too (run is for tests only).
func newEnvB(t testing.TB, adjust func(*relay.Config)) *env {
	t.Helper()
	ctx := context.Background()
	b := brokertest.Start(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "publisher.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	disp, err := deliver.New(deliver.Config{
		AWS: aws.Config{
			Region:      brokertest.Region,
			Credentials: credentials.NewStaticCredentialsProvider("herald", "herald", ""),
		},
		Endpoint: b.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(disp.Close)
	cfg := relay.Config{
		Store:  st,
		Sender: disp,
		Poll:   20 * time.Millisecond,
		Retry:  relay.RetryPolicy{MaxAttempts: 4, Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
	}
	if adjust != nil {
		adjust(&cfg)
	}
	r, err := relay.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{broker: b, relay: r, store: st}
}

// run starts the relay until the test ends.
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	go func() {
		defer close(e.done)
		if err := e.relay.Run(ctx); err != nil {
			e.t.Errorf("Run: %v", err)
		}
	}()
	e.t.Cleanup(e.stop)
}

func (e *env) stop() {
	if e.cancel != nil {
		e.cancel()
		<-e.done
		e.cancel = nil
	}
}

func (e *env) subscribe(s subscription.Subscription) *subscription.Subscription {
	e.t.Helper()
	s.Active = true
	got, err := e.relay.CreateSubscription(context.Background(), &s)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func (e *env) publish(evs ...*publisher.Event) []store.Appended {
	e.t.Helper()
	in := make([]relay.Input, len(evs))
	for i, ev := range evs {
		in[i] = relay.Input{Event: ev}
	}
	out, err := e.relay.Publish(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// waitDelivery waits until the delivery of event to sub reaches state.
func (e *env) waitState(eventID, subID, state string, within time.Duration) *store.Delivery {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ds, err := e.store.ListDeliveries(context.Background(), store.DeliveryFilter{EventID: eventID, SubscriptionID: subID})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, d := range ds {
			if d.State == state {
				return d
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("event %s to subscription %s: no delivery %s within %v (have %+v)", eventID, subID, state, within, ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func event(tenant, entity, status string) *publisher.Event {
	return &publisher.Event{
		Tenant: tenant, EntityType: "photo", EntityID: entity, Type: "photo.status_changed", Status: status,
		OccurredAt: time.Now().UTC(), Data: json.RawMessage(`{"id":` + jsonString(entity) + `,"status":` + jsonString(status) + `}`),
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// endpoint is an HTTPS-destination stand-in (plain http on localhost,
// which subscriptions allow) whose answers the test scripts.
type endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	status   func(body map[string]any) int // nil: 204
	received []map[string]any              // bodies of accepted requests
	attempts int
}

func newEndpoint(t *testing.T) *endpoint {
	ep := &endpoint{}
	ep.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		ep.mu.Lock()
		ep.attempts++
		code := http.StatusNoContent
		if ep.status != nil {
			code = ep.status(body)
		}
		if code < 300 {
			ep.received = append(ep.received, body)
		}
		ep.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(ep.Close)
	return ep
}

func (ep *endpoint) setStatus(f func(body map[string]any) int) {
	ep.mu.Lock()
	ep.status = f
	ep.mu.Unlock()
}

func (ep *endpoint) bodies() []map[string]any {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]map[string]any(nil), ep.received...)
}

type sqsMessage = sqstypes.Message

type publisherEvent = publisher.Event

var publisherEventMissingTenant = publisher.Event{EntityType: "photo", EntityID: "1", Type: "t", OccurredAt: time.Now()}
