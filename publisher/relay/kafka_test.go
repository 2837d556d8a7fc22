package relay_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// A Kafka subscription: notifications are records keyed by entity id,
// one entity's in sequence order.
func TestPublishDeliversToKafka(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "photo-status"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	e := newEnv(t, nil)
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationKafka, Topic: "photo-status", Brokers: cluster.ListenAddrs()}})
	e.run()
	out := e.publish(event("acme", "1", "PENDING"), event("acme", "1", "APPROVED"), event("acme", "2", "PENDING"))
	for _, a := range out {
		e.waitState(a.Event.ID, sub.ID, store.StateDelivered, 10*time.Second)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics("photo-status"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []*kgo.Record
	for len(got) < 3 && ctx.Err() == nil {
		got = append(got, cl.PollFetches(ctx).Records()...)
	}
	if len(got) != 3 {
		t.Fatalf("%d records, want 3", len(got))
	}
	var order []string
	for _, r := range got {
		var ce map[string]any
		if err := json.Unmarshal(r.Value, &ce); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != ce["subject"] {
			t.Errorf("record key %q, entity %v", r.Key, ce["subject"])
		}
		if string(r.Key) == "1" {
			order = append(order, ce["heraldstatus"].(string))
		}
	}
	if len(order) != 2 || order[0] != "PENDING" || order[1] != "APPROVED" {
		t.Errorf("entity 1's records in order %v, want [PENDING APPROVED]", order)
	}
}
