package deliver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/subscription"
)

func kafkaCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func kafkaDest(c *kfake.Cluster, topic string) subscription.Destination {
	return subscription.Destination{Type: subscription.DestinationKafka, Topic: topic, Brokers: c.ListenAddrs()}
}

// consume reads n records of topic from the start.
func consume(t testing.TB, c *kfake.Cluster, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := testCtx(t)
	var recs []*kgo.Record
	for len(recs) < n {
		f := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(recs), n, err)
		}
		recs = append(recs, f.Records()...)
	}
	return recs
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

func TestKafkaProducesRecords(t *testing.T) {
	t.Parallel()
	c := kafkaCluster(t, kfake.SeedTopics(3, "photos"))
	d := newDispatcher(t, nil, Config{})

	const n = 20
	jobs := make([]*Job, n)
	for i := range jobs {
		m := &format.Message{
			Body:        []byte(fmt.Sprintf(`{"n":%d}`, i)),
			Attributes:  map[string]string{"event_type": "photo.ready", "seq": fmt.Sprint(i)},
			ContentType: format.ContentTypeCloudEvents,
		}
		if i == 0 {
			m.Subject = "Photo 0"
		}
		jobs[i] = &Job{ID: fmt.Sprint(i), Destination: kafkaDest(c, "photos"), Message: m, Key: fmt.Sprintf("photo-%d", i%4)}
	}
	res := d.Send(testCtx(t), jobs)
	mustSucceed(t, res)
	for i, r := range res {
		var p, o int
		if _, err := fmt.Sscanf(r.Detail, "partition %d offset %d", &p, &o); err != nil {
			t.Errorf("job %d: detail %q", i, r.Detail)
		}
	}

	recs := consume(t, c, "photos", n)
	byValue := map[string]*kgo.Record{}
	partOfKey := map[string]int32{}
	for _, r := range recs {
		byValue[string(r.Value)] = r
		if p, ok := partOfKey[string(r.Key)]; ok && p != r.Partition {
			t.Errorf("key %s in partitions %d and %d", r.Key, p, r.Partition)
		}
		partOfKey[string(r.Key)] = r.Partition
	}
	for i, j := range jobs {
		r := byValue[string(j.Message.Body)]
		if r == nil {
			t.Fatalf("job %d: no record", i)
		}
		if string(r.Key) != j.Key {
			t.Errorf("job %d: key %q, want %q", i, r.Key, j.Key)
		}
		if want := fmt.Sprintf("partition %d offset %d", r.Partition, r.Offset); res[i].Detail != want {
			t.Errorf("job %d: detail %q, record at %s", i, res[i].Detail, want)
		}
		if v, _ := header(r, HeaderContentType); v != format.ContentTypeCloudEvents {
			t.Errorf("job %d: content-type %q", i, v)
		}
		if v, _ := header(r, "event_type"); v != "photo.ready" {
			t.Errorf("job %d: event_type %q", i, v)
		}
		if v, _ := header(r, "seq"); v != fmt.Sprint(i) {
			t.Errorf("job %d: seq %q", i, v)
		}
		v, ok := header(r, HeaderSubject)
		if (i == 0) != ok || (i == 0 && v != "Photo 0") {
			t.Errorf("job %d: subject %q (present %v)", i, v, ok)
		}
	}
}

func TestKafkaUnknownTopicIsRetriable(t *testing.T) {
	t.Parallel()
	c := kafkaCluster(t, kfake.SeedTopics(1, "known"))
	d := newDispatcher(t, nil, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	res := d.Send(ctx, []*Job{
		{ID: "a", Destination: kafkaDest(c, "unknown"), Message: msg("x", nil), Key: "k"},
		{ID: "b", Destination: kafkaDest(c, "known"), Message: msg("y", nil), Key: "k"},
	})
	e := asError(t, res[0])
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), e)
	if e.Permanent || e.Code != "UNKNOWN_TOPIC_OR_PARTITION" {
		t.Errorf("unknown topic: Permanent %v Code %q", e.Permanent, e.Code)
	}
	if !strings.HasPrefix(e.Error(), "kafka produce to unknown on ") {
		t.Errorf("message %q", e.Error())
	}
	if res[1].Err != nil {
		t.Errorf("known topic: %v", res[1].Err)
	}
}

func TestKafkaRecordTooLargeIsPermanent(t *testing.T) {
	t.Parallel()
	c := kafkaCluster(t, kfake.SeedTopics(1, "small"))
	d := newDispatcher(t, nil, Config{KafkaOpts: []kgo.Opt{kgo.ProducerBatchMaxBytes(1024)}})
	res := d.Send(testCtx(t), []*Job{
		{ID: "big", Destination: kafkaDest(c, "small"), Message: msg(strings.Repeat("x", 4096), nil)},
		{ID: "ok", Destination: kafkaDest(c, "small"), Message: msg("fine", nil)},
	})
	if e := asError(t, res[0]); !e.Permanent || e.Code != "MESSAGE_TOO_LARGE" {
		t.Errorf("big record: Permanent %v Code %q: %v", e.Permanent, e.Code, e)
	}
	if res[1].Err != nil {
		t.Errorf("small record: %v", res[1].Err)
	}
}

func TestKafkaCachesClientPerBrokerSet(t *testing.T) {
	t.Parallel()
	c := kafkaCluster(t, kfake.NumBrokers(2), kfake.SeedTopics(1, "t"))
	d := newDispatcher(t, nil, Config{})
	addrs := c.ListenAddrs()
	rev := []string{addrs[1], addrs[0]}
	for _, brokers := range [][]string{addrs, rev, addrs} {
		dst := subscription.Destination{Type: subscription.DestinationKafka, Topic: "t", Brokers: brokers}
		mustSucceed(t, d.Send(testCtx(t), []*Job{{ID: "x", Destination: dst, Message: msg("x", nil)}}))
	}
	d.mu.Lock()
	n := len(d.kafka)
	d.mu.Unlock()
	if n != 1 {
		t.Errorf("%d clients, want 1 for one broker set in any order", n)
	}
	d.Close()
	res := d.Send(testCtx(t), []*Job{{ID: "x", Destination: kafkaDest(c, "t"), Message: msg("x", nil)}})
	if e := asError(t, res[0]); e.Permanent {
		t.Errorf("after Close: %v, want retriable", e)
	}
}

func TestKafkaDeadline(t *testing.T) {
	t.Parallel()
	c := kafkaCluster(t, kfake.SeedTopics(1, "slow"))
	// Hold every produce request until the test ends.
	release := make(chan struct{})
	c.ControlKey(0, func(kmsg.Request) (kmsg.Response, error, bool) {
		<-release
		return nil, nil, false
	})
	defer close(release)
	d := newDispatcher(t, nil, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	res := d.Send(ctx, []*Job{{ID: "x", Destination: kafkaDest(c, "slow"), Message: msg("x", nil)}})
	e := asError(t, res[0])
	if e.Permanent || !strings.Contains(e.Error(), "deadline") {
		t.Errorf("got %v, want retriable deadline error", e)
	}
}
