package consumer_test

import (
	"context"
	"fmt"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/memory"
)

// A pipeline that deduplicates photo status messages on id+status and
// drops stale updates, embedded in an application. A source (sqssource,
// snshttp) would call Process with each received batch and delete the
// messages whose outcome is acknowledged.
func ExamplePipeline() {
	key := func(s string) consumer.KeyPart { k, _ := consumer.ParseKeyPart(s); return k }
	print := consumer.SinkFunc(func(ctx context.Context, ev *consumer.Event) error {
		fmt.Printf("apply %s\n", ev.Key)
		return nil
	})
	p, err := consumer.NewPipeline(consumer.Config{
		Store:   memory.New(),
		Key:     []consumer.KeyPart{key("id"), key("status")},
		Entity:  consumer.MustParsePath("id"),
		Version: consumer.MustParsePath("dateCreated"),
		Routes:  []consumer.Route{{Sinks: []consumer.NamedSink{{Name: "print", Sink: print}}}},
	})
	if err != nil {
		panic(err)
	}
	batch := func(bodies ...string) {
		var msgs []*consumer.Message
		for i, b := range bodies {
			msgs = append(msgs, &consumer.Message{ID: fmt.Sprint("m", i), Body: []byte(b)})
		}
		fmt.Println(p.Process(context.Background(), msgs))
	}
	batch(`{"id":1419977,"status":"APPROVED","dateCreated":"2023-11-27T05:40:45+0000"}`)
	batch(`{"id":1419977,"status":"APPROVED","dateCreated":"2023-11-27T05:40:45+0000"}`) // redelivered
	batch(`{"id":1419977,"status":"DOWNLOADED","dateCreated":"2023-11-27T05:41:00+0000"}`)
	batch(`{"id":1419977,"status":"PENDING","dateCreated":"2023-11-27T05:00:00+0000"}`) // late and older
	// Output:
	// apply 1419977|APPROVED
	// [delivered]
	// [duplicate]
	// apply 1419977|DOWNLOADED
	// [delivered]
	// [stale]
}
