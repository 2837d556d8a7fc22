package relay_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/subscription"
)

// BenchmarkDeliverToSQS measures the relay alone: b.N events, each of its
// own entity, are stored with one delivery each to a queue of the
// in-process broker before the timer starts; the timer runs until every
// delivery is recorded as delivered.
func BenchmarkDeliverToSQS(b *testing.B) {
	e := newEnvB(b, nil)
	url := e.broker.CreateQueue(b, "bench", nil)
	_, err := e.relay.CreateSubscription(context.Background(), &subscription.Subscription{Tenant: "acme", Active: true,
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: url}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < b.N; i += relay.MaxBatch {
		n := min(relay.MaxBatch, b.N-i)
		in := make([]relay.Input, n)
		for j := range in {
			in[j] = relay.Input{Event: &publisher.Event{Tenant: "acme", EntityType: "photo", EntityID: fmt.Sprint(i + j),
				Type: "photo.status_changed", Status: "APPROVED", OccurredAt: time.Now()}}
		}
		if _, err := e.relay.Publish(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = e.relay.Run(rctx) }()
	for {
		st, err := e.store.Stats(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if st.Delivered >= int64(b.N) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}
