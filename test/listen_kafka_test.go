package test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// s3Notification is an S3 new-file notification body in the seed's format
// (../shared/seeds/002_*.txt).
func s3Notification(keys ...string) string {
	var recs []string
	for i, k := range keys {
		recs = append(recs, fmt.Sprintf(`{"s3": {"object": {"key": %q,"size": %d,"eTag": "9876543210abcdef9876543210abcdef","sequencer": "00E5FD87444DFD57%02X"}}}`,
			k, 11805+i, len(k)+i))
	}
	return `{"Records": [` + strings.Join(recs, ",") + `]}`
}

// readTopic returns "key=value" for every record in topic, sorted.
func readTopic(t *testing.T, brokers []string, topic string, want int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			hk := ""
			for _, h := range r.Headers {
				if h.Key == "herald-key" {
					hk = string(h.Value)
				}
			}
			if hk == "" {
				t.Errorf("record without herald-key header: %s", r.Value)
			}
			out = append(out, string(r.Key)+"="+string(r.Value))
		})
	}
	// Anything more than want would be a duplicate: look a little longer.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	cl.PollFetches(ctx2).EachRecord(func(r *kgo.Record) { out = append(out, string(r.Key)+"="+string(r.Value)) })
	sort.Strings(out)
	return out
}

// The S3 → Kafka seed: one listener forwards every new file's key to the
// qa and prod archive topics; a message carries several Records, each
// forwarded on its own; a re-sent notification is a duplicate; S3's test
// event (no Records) is acknowledged without output.
func TestListenS3ToKafka(t *testing.T) {
	t.Parallel()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "qa-archive-new", "prod-archive-new"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	brokers := cluster.ListenAddrs()

	srv := startServer(t, "--in-memory")
	c := newSQS(srv)
	url := createQueue(t, c, "archive-new")
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "listener.toml"), fmt.Sprintf(`
store = "sqlite:%[3]s/listen.db"
split = "Records"
metrics = "127.0.0.1:0"

[source.sqs]
queue_url = %[1]q
endpoint = %[2]q
wait_time = "1s"

[dedupe]
key = ["s3.object.key", "s3.object.sequencer"]

[sinks.qa]
type = "kafka"
brokers = [%[4]q]
topics = ["{{.Vars.env}}-archive-new"]
key = "{{.Event.s3.object.key}}"
value = "{{.Event.s3.object.key}}"
vars = { env = "qa" }

[sinks.prod]
type = "kafka"
brokers = [%[4]q]
topics = ["{{.Vars.env}}-archive-new"]
key = "{{.Event.s3.object.key}}"
value = "{{.Event.s3.object.key}}"
vars = { env = "prod" }
`, url, srv.URL, dir, brokers[0]))

	var want []string
	var keys []string
	for i := 0; i < 12; i++ {
		k := fmt.Sprintf("1234567/abcd1234-1234-abcd-5678-1234abcd%04d/20200609125740-1234567890abcdef1234567890ab%04d", i, i)
		keys = append(keys, k)
		want = append(want, k+"="+k)
	}
	sort.Strings(want)
	// Ten single-record notifications, one with two records, one re-sent,
	// and S3's test event.
	for _, k := range keys[:10] {
		send(t, c, url, s3Notification(k))
	}
	send(t, c, url, s3Notification(keys[10], keys[11]))
	send(t, c, url, s3Notification(keys[3]))
	send(t, c, url, `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2020-06-09T12:51:50.000Z","Bucket":"archive","RequestId":"1","HostId":"2"}`)

	l := startListener(t, "--config", cfg)
	l.waitMetric(t, `herald_listen_sqs_total{op="deleted"}`, 13, 30*time.Second)

	for _, topic := range []string{"qa-archive-new", "prod-archive-new"} {
		got := readTopic(t, brokers, topic, len(want))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s holds %d records:\n%v\nwant %d:\n%v", topic, len(got), got, len(want), want)
		}
	}
	if got := l.metric(t, `herald_listen_events_total{outcome="duplicate"}`); got != 1 {
		t.Errorf("duplicates = %v, want 1", got)
	}
	if got := l.metric(t, `herald_listen_sink_deliveries_total{sink="prod",result="ok"}`); got != 12 {
		t.Errorf("prod deliveries = %v, want 12", got)
	}
}
