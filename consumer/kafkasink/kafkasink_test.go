package kafkasink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/herald-dev/herald/consumer"
)

const partitions = 3

// newCluster starts a kfake cluster, closed when the test ends.
func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// newSink creates a sink on c's brokers, closed when the test ends.
func newSink(t testing.TB, c *kfake.Cluster, cfg Config) *Sink {
	t.Helper()
	cfg.Brokers = c.ListenAddrs()
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// s3Event is the i'th S3 new-file notification of seed 002.
func s3Event(i int) *consumer.Event {
	body := fmt.Sprintf(`{"Records":[{"s3":{"object":{"key":"1234567/abcd/%08d","size":11805,"eTag":"etag-%d","sequencer":"00E5FD87444D%06d"}}}]}`, i, i, i)
	doc, err := consumer.DecodeJSON([]byte(body))
	if err != nil {
		panic(err)
	}
	return &consumer.Event{
		Body: []byte(body), Doc: doc, Index: -1,
		MessageID: fmt.Sprintf("msg-%d", i), Key: fmt.Sprintf("key-%d", i),
	}
}

// highWatermark is the number of records in topic (no retention, no
// compaction in these tests).
func highWatermark(t testing.TB, cl *kgo.Client, topic string) int64 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range int32(partitions) {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int64
	for _, shard := range cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			t.Fatalf("list offsets %s: %v", topic, shard.Err)
		}
		for _, rt := range shard.Resp.(*kmsg.ListOffsetsResponse).Topics {
			for _, rp := range rt.Partitions {
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					t.Fatalf("list offsets %s[%d]: %v", topic, rp.Partition, err)
				}
				n += rp.Offset
			}
		}
	}
	return n
}

// readAll reads every record of topic, after checking that it holds exactly
// want records.
func readAll(t testing.TB, c *kfake.Cluster, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if n := highWatermark(t, cl, topic); n != int64(want) {
		t.Fatalf("topic %s holds %d records, want %d", topic, n, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("topic %s: read %d of %d records: %v", topic, len(out), want, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s[%d]: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	return out
}

func headerMap(r *kgo.Record) map[string]string {
	m := map[string]string{}
	for _, h := range r.Headers {
		m[h.Key] = string(h.Value)
	}
	return m
}

func TestDeliverRecordsLandInEveryTopic(t *testing.T) {
	t.Parallel()
	objectKey := `{{field "Records[0].s3.object.key" .Event}}`
	tests := []struct {
		name   string
		cfg    Config
		topics []string
		// want describes event i's record: key (nil = no key), value and
		// the headers besides herald-message-id and herald-key.
		want func(i int, ev *consumer.Event) (key []byte, value string, headers map[string]string)
	}{
		{
			name:   "constant topics, body unchanged, no key",
			cfg:    Config{Topics: []string{"qa-archive-new", "prod-archive-new"}},
			topics: []string{"qa-archive-new", "prod-archive-new"},
			want: func(i int, ev *consumer.Event) ([]byte, string, map[string]string) {
				return nil, string(ev.Body), nil
			},
		},
		{
			name: "templated topics, key, value and headers",
			cfg: Config{
				Topics:  []string{"{{.Vars.qa}}-archive-new", "{{.Vars.prod}}-archive-new"},
				Key:     objectKey,
				Value:   `{"path":"` + objectKey + `","id":"{{.MessageID}}"}`,
				Headers: map[string]string{"etag": `{{field "Records[0].s3.object.eTag" .Event}}`, "origin": "herald"},
				Vars:    map[string]string{"qa": "qa", "prod": "prod"},
			},
			topics: []string{"qa-archive-new", "prod-archive-new"},
			want: func(i int, ev *consumer.Event) ([]byte, string, map[string]string) {
				path := fmt.Sprintf("1234567/abcd/%08d", i)
				return []byte(path), fmt.Sprintf(`{"path":"%s","id":"msg-%d"}`, path, i),
					map[string]string{"etag": fmt.Sprintf("etag-%d", i), "origin": "herald"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, kfake.SeedTopics(partitions, tt.topics...))
			s := newSink(t, c, tt.cfg)
			const n = 5
			byID := map[string]int{}
			for i := range n {
				ev := s3Event(i)
				byID[ev.MessageID] = i
				if err := s.Deliver(context.Background(), ev); err != nil {
					t.Fatalf("Deliver %d: %v", i, err)
				}
			}
			for _, topic := range tt.topics {
				seen := map[int]bool{}
				for _, r := range readAll(t, c, topic, n) {
					h := headerMap(r)
					i, ok := byID[h[HeaderMessageID]]
					if !ok {
						t.Fatalf("%s: record with unknown %s %q", topic, HeaderMessageID, h[HeaderMessageID])
					}
					seen[i] = true
					ev := s3Event(i)
					key, value, headers := tt.want(i, ev)
					if !bytes.Equal(r.Key, key) || (key == nil) != (r.Key == nil) {
						t.Errorf("%s event %d: key %q, want %q", topic, i, r.Key, key)
					}
					if string(r.Value) != value {
						t.Errorf("%s event %d: value %s, want %s", topic, i, r.Value, value)
					}
					wantHeaders := map[string]string{HeaderMessageID: ev.MessageID, HeaderKey: ev.Key}
					maps.Copy(wantHeaders, headers)
					if !maps.Equal(h, wantHeaders) || len(r.Headers) != len(wantHeaders) {
						t.Errorf("%s event %d: headers %v, want %v", topic, i, r.Headers, wantHeaders)
					}
				}
				if len(seen) != n {
					t.Errorf("%s: %d distinct events, want %d", topic, len(seen), n)
				}
			}
		})
	}
}

func TestDeliverConcurrentLosesNothing(t *testing.T) {
	t.Parallel()
	topics := []string{"qa-archive-new", "prod-archive-new"}
	c := newCluster(t, kfake.SeedTopics(partitions, topics...))
	s := newSink(t, c, Config{Topics: topics, Key: "{{.Key}}"})

	const workers, per = 32, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*per)
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				if err := s.Deliver(context.Background(), s3Event(w*per+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Deliver: %v", err)
	}
	for _, topic := range topics {
		var ids []string
		for _, r := range readAll(t, c, topic, workers*per) {
			if got, want := headerMap(r)[HeaderKey], string(r.Key); got != want {
				t.Errorf("%s: herald-key %q, key %q", topic, got, want)
			}
			ids = append(ids, headerMap(r)[HeaderMessageID])
		}
		slices.Sort(ids)
		if ids = slices.Compact(ids); len(ids) != workers*per {
			t.Errorf("%s: %d distinct events, want %d", topic, len(ids), workers*per)
		}
	}
}

func TestDeliverRenderErrorIsPermanent(t *testing.T) {
	t.Parallel()
	c := newCluster(t, kfake.SeedTopics(partitions, "qa-archive-new"))
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing var in topic", Config{Topics: []string{"{{.Vars.env}}-archive-new"}}, "env"},
		{"missing field in key", Config{Topics: []string{"qa-archive-new"}, Key: "{{.Event.nope.key}}"}, "nope"},
		{"missing var in value", Config{Topics: []string{"qa-archive-new"}, Value: "{{.Vars.nope}}"}, "nope"},
		{"missing var in header", Config{Topics: []string{"qa-archive-new"}, Headers: map[string]string{"h": "{{.Vars.nope}}"}}, "nope"},
		{"illegal topic name", Config{Topics: []string{"{{.Vars.env}}-archive-new"}, Vars: map[string]string{"env": "q a"}}, "not allowed"},
		{"empty topic name", Config{Topics: []string{`{{field "absent" .Event}}`}}, "empty topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSink(t, c, tt.cfg)
			err := s.Deliver(context.Background(), s3Event(1))
			if !consumer.IsPermanent(err) {
				t.Fatalf("Deliver = %v, want a permanent error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Deliver = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDeliverOversizedIsPermanent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cluster []kfake.Opt
		cfg     Config
	}{
		{
			name:    "broker refuses",
			cluster: []kfake.Opt{kfake.BrokerConfigs(map[string]string{"message.max.bytes": "2048"})},
		},
		{
			name: "client refuses",
			cfg:  Config{MaxMessageBytes: 2048},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, append(tt.cluster, kfake.SeedTopics(partitions, "qa-archive-new"))...)
			tt.cfg.Topics = []string{"qa-archive-new"}
			s := newSink(t, c, tt.cfg)

			big := s3Event(1)
			big.Body = []byte(`"` + strings.Repeat("x", 4096) + `"`)
			err := s.Deliver(context.Background(), big)
			if !consumer.IsPermanent(err) || !errors.Is(err, kerr.MessageTooLarge) {
				t.Fatalf("Deliver = %v, want a permanent MESSAGE_TOO_LARGE", err)
			}
			// The producer goes on with records that fit.
			if err := s.Deliver(context.Background(), s3Event(2)); err != nil {
				t.Fatalf("Deliver after the oversized record: %v", err)
			}
			readAll(t, c, "qa-archive-new", 1)
		})
	}
}

func TestDeliverUnknownTopicIsRetriable(t *testing.T) {
	t.Parallel()
	c := newCluster(t, kfake.SeedTopics(partitions, "qa-archive-new"))
	const timeout = 3 * time.Second
	s := newSink(t, c, Config{
		Topics:         []string{"qa-archive-new", "{{.Vars.env}}-archive-new"},
		Vars:           map[string]string{"env": "nope"},
		ProduceTimeout: consumer.Duration(timeout),
	})
	start := time.Now()
	err := s.Deliver(context.Background(), s3Event(1))
	elapsed := time.Since(start)
	if err == nil || consumer.IsPermanent(err) {
		t.Fatalf("Deliver = %v, want a retriable error", err)
	}
	if !errors.Is(err, kerr.UnknownTopicOrPartition) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Deliver = %v, want UNKNOWN_TOPIC_OR_PARTITION or a timeout", err)
	}
	if !strings.Contains(err.Error(), "nope-archive-new") && !strings.Contains(err.Error(), "pending") {
		t.Errorf("Deliver = %v, want the topic named", err)
	}
	if elapsed > timeout+time.Second {
		t.Errorf("Deliver took %s, want at most produce_timeout %s", elapsed, timeout)
	}
	t.Logf("after %s: %v", elapsed.Round(time.Millisecond), err)
}

// holdProduce makes c hold every produce request until the returned
// function is called (or the test ends); reached receives once a produce
// request is held.
func holdProduce(t *testing.T, c *kfake.Cluster) (reached <-chan struct{}, release func()) {
	held := make(chan struct{}, 1)
	stop := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(stop) }) }
	t.Cleanup(release)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		select {
		case held <- struct{}{}:
		default:
		}
		c.SleepControl(func() { <-stop })
		return nil, nil, false
	})
	return held, release
}

func TestDeliverGivesUpPromptly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration
		cancel  bool // cancel the context once the produce request is held
		want    error
	}{
		{name: "context canceled while waiting", timeout: time.Minute, cancel: true, want: context.Canceled},
		{name: "produce_timeout", timeout: 300 * time.Millisecond, want: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, kfake.SeedTopics(partitions, "qa-archive-new"))
			s := newSink(t, c, Config{Topics: []string{"qa-archive-new"}, ProduceTimeout: consumer.Duration(tt.timeout)})
			reached, release := holdProduce(t, c)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Deliver(ctx, s3Event(1)) }()
			<-reached
			if tt.cancel {
				cancel()
			}
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) || consumer.IsPermanent(err) {
					t.Fatalf("Deliver = %v, want a retriable %v", err, tt.want)
				}
				if !strings.Contains(err.Error(), "1 of 1 records pending") {
					t.Errorf("Deliver = %v, want the pending count", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Deliver did not return within 5s of giving up")
			}
			// The held record is still written once the broker answers:
			// Close waits for it.
			release()
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			readAll(t, c, "qa-archive-new", 1)
		})
	}
}

func TestDeliverCanceledBeforeStart(t *testing.T) {
	t.Parallel()
	c := newCluster(t, kfake.SeedTopics(partitions, "qa-archive-new"))
	s := newSink(t, c, Config{Topics: []string{"qa-archive-new"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Deliver(ctx, s3Event(1)); !errors.Is(err, context.Canceled) || consumer.IsPermanent(err) {
		t.Fatalf("Deliver = %v, want a retriable context.Canceled", err)
	}
	// Close flushes whatever was produced: nothing.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	readAll(t, c, "qa-archive-new", 0)
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	c := newCluster(t, kfake.SeedTopics(partitions, "qa-archive-new"))
	s := newSink(t, c, Config{Topics: []string{"qa-archive-new"}})
	if err := s.Deliver(context.Background(), s3Event(1)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	err := s.Deliver(context.Background(), s3Event(2))
	if !errors.Is(err, kgo.ErrClientClosed) || consumer.IsPermanent(err) {
		t.Fatalf("Deliver after Close = %v, want a retriable %v", err, kgo.ErrClientClosed)
	}
}

func TestNewChecksTheCluster(t *testing.T) {
	t.Parallel()
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := l.Addr().String()
	l.Close()

	sasl := newCluster(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "herald", "s3cret"),
		kfake.SeedTopics(partitions, "qa-archive-new"))
	tests := []struct {
		name    string
		brokers []string
		sasl    *SASL
		wantErr string // "" = New succeeds
	}{
		{name: "unreachable", brokers: []string{deadAddr}, wantErr: "no broker of " + deadAddr},
		{name: "wrong password", brokers: sasl.ListenAddrs(), sasl: &SASL{Mechanism: "scram-sha-256", User: "herald", Password: "wrong"}, wantErr: "refused the SASL login"},
		{name: "scram login", brokers: sasl.ListenAddrs(), sasl: &SASL{Mechanism: "scram-sha-256", User: "herald", Password: "s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Brokers: tt.brokers, Topics: []string{"qa-archive-new"}, SASL: tt.sasl, ProduceTimeout: consumer.Duration(5 * time.Second)}
			s, err := New(context.Background(), cfg, nil)
			if tt.wantErr != "" {
				if err == nil {
					s.Close()
					t.Fatalf("New succeeded, want an error")
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New = %v, want it to contain %q", err, tt.wantErr)
				}
				t.Logf("New: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer s.Close()
			if err := s.Deliver(context.Background(), s3Event(1)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
		})
	}
}

func TestDeliverFullBufferHonorsTimeout(t *testing.T) {
	t.Parallel()
	c := newCluster(t, kfake.SeedTopics(partitions, "qa-archive-new"))
	s := newSink(t, c, Config{
		Topics:             []string{"qa-archive-new"},
		MaxBufferedRecords: 1,
		ProduceTimeout:     consumer.Duration(300 * time.Millisecond),
	})
	reached, release := holdProduce(t, c)
	first := make(chan error, 1)
	go func() { first <- s.Deliver(context.Background(), s3Event(1)) }()
	<-reached // the one buffered record is in flight: the buffer is full

	second := make(chan error, 1)
	go func() { second <- s.Deliver(context.Background(), s3Event(2)) }()
	select {
	case err := <-second:
		if !errors.Is(err, context.DeadlineExceeded) || consumer.IsPermanent(err) {
			t.Fatalf("Deliver on a full buffer = %v, want a retriable deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Deliver blocked on a full buffer past its produce_timeout")
	}
	release()
	if err := <-first; err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first Deliver: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Only the first event got into the buffer.
	if r := readAll(t, c, "qa-archive-new", 1); headerMap(r[0])[HeaderMessageID] != "msg-1" {
		t.Errorf("record of %s, want msg-1", headerMap(r[0])[HeaderMessageID])
	}
}

func TestNewWarnsAboutMissingTopics(t *testing.T) {
	t.Parallel()
	c := newCluster(t, kfake.SeedTopics(partitions, "qa-archive-new"))
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	s, err := New(context.Background(), Config{
		Brokers: c.ListenAddrs(),
		Topics:  []string{"qa-archive-new", "prod-archive-new", "{{.Vars.env}}-archive-new"},
	}, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer s.Close()
	log := buf.String()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "topic=prod-archive-new") {
		t.Errorf("want a warning about prod-archive-new; log:\n%s", log)
	}
	if strings.Contains(log, "topic=qa-archive-new") {
		t.Errorf("warned about qa-archive-new, which exists; log:\n%s", log)
	}
}

// syncBuffer is a bytes.Buffer for a logger shared with franz-go's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
