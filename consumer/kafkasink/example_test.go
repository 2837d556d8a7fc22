package kafkasink_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/kafkasink"
)

// One listener forwards every S3 new-file notification to the archive topics
// of two environments. A kfake cluster stands in for Kafka here; a real
// configuration names the real brokers.
func ExampleNew() {
	cluster, err := kfake.NewCluster(kfake.SeedTopics(1, "qa-archive-new", "prod-archive-new"))
	if err != nil {
		log.Fatal(err)
	}
	defer cluster.Close()

	ctx := context.Background()
	sink, err := kafkasink.New(ctx, kafkasink.Config{
		Brokers: cluster.ListenAddrs(),
		// One record per environment. Equivalently, one listener per
		// environment could use "{{.Vars.env}}-archive-new" with Vars.
		Topics: []string{"qa-archive-new", "prod-archive-new"},
		// Keyed by the S3 object key; the value is the notification as is.
		Key: `{{field "Records[0].s3.object.key" .Event}}`,
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sink.Close()

	body := []byte(`{"Records":[{"s3":{"object":{"key":"1234567/abcd1234/20200609125740-1234567890abcdef","size":11805}}}]}`)
	doc, err := consumer.DecodeJSON(body)
	if err != nil {
		log.Fatal(err)
	}
	ev := &consumer.Event{Body: body, Doc: doc, Index: -1, MessageID: "abcd1234-1234-abcd-5678-1234abcd1234", Key: "00E5FD87444DFD5752"}
	if err := sink.Deliver(ctx, ev); err != nil {
		log.Fatal(err)
	}

	// What the two environments' archivers receive.
	reader, err := kgo.NewClient(
		kgo.SeedBrokers(cluster.ListenAddrs()...),
		kgo.ConsumeTopics("qa-archive-new", "prod-archive-new"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer reader.Close()
	var lines []string
	for len(lines) < 2 {
		for _, r := range reader.PollFetches(ctx).Records() {
			var headers []string
			for _, h := range r.Headers {
				headers = append(headers, h.Key+"="+string(h.Value))
			}
			lines = append(lines, fmt.Sprintf("%s key=%s %s", r.Topic, r.Key, strings.Join(headers, " ")))
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// prod-archive-new key=1234567/abcd1234/20200609125740-1234567890abcdef herald-message-id=abcd1234-1234-abcd-5678-1234abcd1234 herald-key=00E5FD87444DFD5752
	// qa-archive-new key=1234567/abcd1234/20200609125740-1234567890abcdef herald-message-id=abcd1234-1234-abcd-5678-1234abcd1234 herald-key=00E5FD87444DFD5752
}
