package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/kafkasink"
	"github.com/herald-dev/herald/consumer/sqssource"
	"github.com/herald-dev/herald/consumer/store/memory"
	"github.com/herald-dev/herald/consumer/store/sqlite"
)

// consumeTopic is the Kafka topic the consume scenario writes to.
const consumeTopic = "herald-bench-consume"

// listenerClient is the benchmark's SQS client with the HTTP transport that
// `herald listen` gives a source of that many pollers, so that the consume
// scenario measures the listener's connection handling, not the
// benchmark's.
func (r *runner) listenerClient(pollers int) *sqs.Client {
	return sqs.New(r.client.Options(), func(o *sqs.Options) {
		o.HTTPClient = &http.Client{Transport: BufferedTransport(sqssource.NewHTTPTransport(pollers))}
	})
}

// consume measures the consumer end to end: the queue is prefilled with
// batch sends, then `herald listen`'s pipeline drains it — an SQS source
// with --concurrency pollers receiving batches of 10, deduplication
// claimed and completed in the embedded durable SQLite store, a Kafka sink
// producing to an in-process kfake cluster with acks=all and the
// idempotent producer, and DeleteMessageBatch only after Kafka acknowledged
// (--consume-store and --consume-sink replace the store or the sink).
// The rate is events delivered per second, from the first receive to the
// last delivery.
func (r *runner) consume(ctx context.Context, url string) (*Result, error) {
	workers := r.cfg.Concurrency
	pre, bs := r.prefill(ctx, ScenarioConsume+" prefill", url, nil)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if pre.msgs == 0 {
		return nil, errors.New("prefill sent no message")
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := r.consumeStore(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	sink, err := r.consumeSink(ctx, quiet)
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	// Each event's Deliver (render, produce, wait for Kafka's ack) is timed.
	var mu sync.Mutex
	hist := NewHistogram()
	timed := consumer.SinkFunc(func(ctx context.Context, ev *consumer.Event) error {
		t0 := time.Now()
		err := sink.Deliver(ctx, ev)
		d := time.Since(t0)
		mu.Lock()
		hist.Record(d)
		mu.Unlock()
		return err
	})
	p, err := consumer.NewPipeline(consumer.Config{
		Store: store, Logger: quiet, Concurrency: 16,
		Routes: []consumer.Route{{Name: "kafka", Sinks: []consumer.NamedSink{{Name: "kafka", Sink: timed}}}},
	})
	if err != nil {
		return nil, err
	}
	src, err := sqssource.New(sqssource.Config{
		QueueURL: url, Concurrency: workers, WaitTime: consumer.Duration(time.Second),
		BacklogInterval: consumer.Duration(-1),
	}, r.listenerClient(workers), p, quiet)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cpu0 := r.cpuNow(ctx)
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- src.Run(runCtx) }()

	// Watch until every prefilled message is delivered, Duration passes,
	// or nothing moves for 5 s.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last consumer.StatsSnapshot
	var lastDone time.Duration
	lastChange := time.Now()
	prevPrint := time.Now()
	var prevDelivered uint64
	for {
		select {
		case <-ctx.Done():
			stop()
			<-errc
			return nil, ctx.Err()
		case err := <-errc:
			if err != nil {
				return nil, err
			}
		case <-tick.C:
		}
		s := p.Stats().Snapshot()
		handled := s.Delivered + s.Duplicates
		if handled != last.Delivered+last.Duplicates {
			lastChange = time.Now()
			lastDone = time.Since(start)
		}
		last = s
		if time.Since(prevPrint) >= time.Second {
			fmt.Fprintf(r.progress, "%s: %s delivered (%s/s), %s failed, %d in flight\n", ScenarioConsume,
				groupDigits(int64(s.Delivered)), groupDigits(int64(float64(s.Delivered-prevDelivered)/time.Since(prevPrint).Seconds())),
				groupDigits(int64(s.Failed)), s.InFlight)
			prevDelivered, prevPrint = s.Delivered, time.Now()
		}
		if int64(handled) >= pre.msgs || time.Since(start) >= r.cfg.Duration || time.Since(lastChange) > 5*time.Second {
			break
		}
	}
	stop()
	<-errc
	cpu := r.cpuNow(ctx).since(cpu0)
	mu.Lock()
	defer mu.Unlock()
	res := &Result{
		ClientCPU: cpu.client, BrokerCPU: cpu.broker,
		Scenario: ScenarioConsume, Clients: workers,
		Messages: int64(last.Delivered), Elapsed: lastDone, Errors: int64(last.Failed),
		Latency: hist, LatencyOf: "sink delivery",
		Parts:        r.consumeParts(),
		Prefill:      &Phase{Messages: pre.msgs, Elapsed: pre.elapsed, Errors: pre.errors, BatchSize: bs},
		Duplicates:   int64(last.Duplicates),
		Drained:      int64(last.Delivered+last.Duplicates) >= pre.msgs,
		ExpectedLeft: pre.msgs - int64(last.Delivered+last.Duplicates),
		QueueLeft:    -1,
	}
	if n, err := r.queueDepth(ctx, url); err == nil {
		res.QueueLeft = n
	}
	return res, ctx.Err()
}

// consumeStore opens the consume scenario's dedupe store: the durable
// SQLite store in a temporary directory that its Close removes, or the
// memory store.
func (r *runner) consumeStore(ctx context.Context) (consumer.Store, error) {
	if r.cfg.ConsumeStore == "memory" {
		return memory.New(), nil
	}
	dir, err := os.MkdirTemp("", "herald-bench-consume-")
	if err != nil {
		return nil, err
	}
	s, err := sqlite.Open(ctx, filepath.Join(dir, "listen.db"), sqlite.Options{})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return tempSQLite{s, dir}, nil
}

// tempSQLite is a SQLite store whose Close also removes its directory.
type tempSQLite struct {
	*sqlite.Store
	dir string
}

func (t tempSQLite) Close() error { return errors.Join(t.Store.Close(), os.RemoveAll(t.dir)) }

// consumeSink starts the consume scenario's sink: a Kafka sink producing
// to an in-process kfake cluster, which its Close stops, or a sink that
// discards.
func (r *runner) consumeSink(ctx context.Context, log *slog.Logger) (consumer.Sink, error) {
	if r.cfg.ConsumeSink == "discard" {
		return consumer.SinkFunc(func(context.Context, *consumer.Event) error { return nil }), nil
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, consumeTopic))
	if err != nil {
		return nil, fmt.Errorf("kfake: %w", err)
	}
	sink, err := kafkasink.New(ctx, kafkasink.Config{Brokers: cluster.ListenAddrs(), Topics: []string{consumeTopic}}, log)
	if err != nil {
		cluster.Close()
		return nil, err
	}
	return kfakeSink{sink, cluster}, nil
}

// kfakeSink is a Kafka sink whose Close also stops the cluster it writes
// to.
type kfakeSink struct {
	*kafkasink.Sink
	cluster *kfake.Cluster
}

func (k kfakeSink) Close() error {
	err := k.Sink.Close()
	k.cluster.Close()
	return err
}

// consumeParts names the consume scenario's store and sink for its note.
func (r *runner) consumeParts() string {
	store, sink := "dedupe (SQLite)", "Kafka (kfake, acks=all)"
	if r.cfg.ConsumeStore == "memory" {
		store = "dedupe (memory)"
	}
	if r.cfg.ConsumeSink == "discard" {
		sink = "discard"
	}
	return "SQS → " + store + " → " + sink + " → delete"
}
