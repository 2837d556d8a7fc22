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
// idempotent producer, and DeleteMessageBatch only after Kafka acknowledged.
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

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, consumeTopic))
	if err != nil {
		return nil, fmt.Errorf("kfake: %w", err)
	}
	defer cluster.Close()
	dir, err := os.MkdirTemp("", "herald-bench-consume-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := sqlite.Open(ctx, filepath.Join(dir, "listen.db"), sqlite.Options{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	sink, err := kafkasink.New(ctx, kafkasink.Config{Brokers: cluster.ListenAddrs(), Topics: []string{consumeTopic}}, quiet)
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
		Latency: hist, LatencyOf: "Kafka delivery (produce to ack)",
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
