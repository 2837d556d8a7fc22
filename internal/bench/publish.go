package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// PublishBatch is how many events one POST /v1/events carries in the
// publish scenario.
const PublishBatch = 500

// pubClient calls the publisher's /v1/ API of the server under test.
type pubClient struct {
	base string
	http *http.Client
}

func newPubClient(base string, conns int) *pubClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = conns*2, conns*2
	return &pubClient{base: base, http: &http.Client{Transport: t, Timeout: time.Minute}}
}

// post sends body to path and decodes a 2xx answer into out (when set).
func (c *pubClient) post(ctx context.Context, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// subscribeQueue creates a subscription of tenant's events to the queue.
func (c *pubClient) subscribeQueue(ctx context.Context, tenant, url string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"tenant": tenant, "destination": map[string]any{"type": "sqs", "url": url},
	})
	var out struct {
		ID string `json:"id"`
	}
	if err := c.post(ctx, "/v1/subscriptions", body, &out); err != nil {
		return "", fmt.Errorf("create subscription (is the publisher running?): %w", err)
	}
	return out.ID, nil
}

func (c *pubClient) deleteSubscription(ctx context.Context, id string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.base+"/v1/subscriptions/"+id, nil)
	if err != nil {
		return
	}
	if resp, err := c.http.Do(req); err == nil {
		resp.Body.Close()
	}
}

// eventsBody renders n events of tenant for POST /v1/events, each of its
// own entity, occurring at sent (so that a receiver can time it).
func eventsBody(tenant string, worker, seq, n int, sent time.Time) []byte {
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	ts := sent.UTC().Format(time.RFC3339Nano)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"tenant":%q,"entity_type":"photo","entity_id":"%d-%d-%d","type":"photo.status_changed","status":"APPROVED","occurred_at":%q,"data":{"n":%d}}`,
			tenant, worker, seq, i, ts, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// drainer receives and deletes the notifications a queue gets, counting
// them and timing each from its CloudEvents "time" (the event's
// occurred_at, which the scenario sets to its send time).
type drainer struct {
	delivered atomic.Int64
	last      atomic.Int64 // Unix nanoseconds of the latest receive
	hist      *Histogram
	errs      *errorLog
	stop      context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex
}

func (r *runner) startDrainer(ctx context.Context, label, url string, workers int) *drainer {
	d := &drainer{hist: NewHistogram(), errs: newErrorLog(r.progress, label)}
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.stop = cancel
	for range workers {
		d.wg.Go(func() {
			h := NewHistogram()
			defer func() {
				d.mu.Lock()
				d.hist.Merge(h)
				d.mu.Unlock()
			}()
			for dctx.Err() == nil {
				out, err := r.client.ReceiveMessage(dctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					if dctx.Err() == nil {
						d.errs.add(err)
					}
					continue
				}
				if len(out.Messages) == 0 {
					continue
				}
				now := time.Now()
				entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
				for i, m := range out.Messages {
					var ce struct {
						Time time.Time `json:"time"`
					}
					if json.Unmarshal([]byte(aws.ToString(m.Body)), &ce) == nil && !ce.Time.IsZero() {
						h.Record(now.Sub(ce.Time))
					}
					entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
				}
				d.delivered.Add(int64(len(out.Messages)))
				d.last.Store(now.UnixNano())
				if _, err := r.client.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil && dctx.Err() == nil {
					d.errs.add(err)
				}
			}
		})
	}
	return d
}

// wait waits up to timeout for want deliveries, then stops the receivers.
func (d *drainer) wait(ctx context.Context, want int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for d.delivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	d.stop()
	d.wg.Wait()
}

// publish measures the publisher: --concurrency clients POST batches of
// PublishBatch events to /v1/events in a closed loop for --duration; one
// subscription routes every event to the scenario's queue, which 8
// workers drain. It reports events accepted per second (and latency per
// POST), and deliveries per second from the first POST to the last
// notification received.
func (r *runner) publish(ctx context.Context, url string) (*Result, error) {
	pc := newPubClient(r.cfg.Endpoint, r.cfg.Concurrency)
	tenant := r.cfg.QueuePrefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	sub, err := pc.subscribeQueue(ctx, tenant, url)
	if err != nil {
		return nil, err
	}
	defer pc.deleteSubscription(context.WithoutCancel(ctx), sub)
	dr := r.startDrainer(ctx, ScenarioPublish+" receive", url, 8)
	start := time.Now()
	seqs := make([]atomic.Int64, r.cfg.Concurrency)
	lr := r.closedLoop(ctx, ScenarioPublish, r.cfg.Concurrency, r.cfg.Duration, func(ctx context.Context, w int) outcome {
		body := eventsBody(tenant, w, int(seqs[w].Add(1)), PublishBatch, time.Now())
		if err := pc.post(ctx, "/v1/events", body, nil); err != nil {
			return outcome{err: err}
		}
		return outcome{msgs: PublishBatch}
	})
	fmt.Fprintf(r.progress, "%s: %d events accepted; waiting for their deliveries\n", ScenarioPublish, lr.msgs)
	dr.wait(ctx, lr.msgs, 2*time.Minute)
	res := fromLoop(ScenarioPublish, r.cfg.Concurrency, lr)
	res.LatencyOf = "POST of " + strconv.Itoa(PublishBatch) + " events"
	res.BatchSize = PublishBatch
	res.Deliveries = dr.delivered.Load()
	if last := dr.last.Load(); last > 0 {
		res.DeliveryElapsed = time.Unix(0, last).Sub(start)
	}
	res.DeliveryLatency = dr.hist
	res.Errors += dr.errs.count.Load()
	res.ErrorSamples = append(res.ErrorSamples, dr.errs.samples()...)
	return res, nil
}

// publishLatency paces single-event POSTs at --rate events/s for
// --duration (open loop) and times each event from its scheduled send to
// its receipt from the subscribed queue: the event-to-queue latency.
func (r *runner) publishLatency(ctx context.Context, url string) (*Result, error) {
	pc := newPubClient(r.cfg.Endpoint, 64)
	tenant := r.cfg.QueuePrefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	sub, err := pc.subscribeQueue(ctx, tenant, url)
	if err != nil {
		return nil, err
	}
	defer pc.deleteSubscription(context.WithoutCancel(ctx), sub)
	dr := r.startDrainer(ctx, ScenarioPublishLatency+" receive", url, 8)

	rate := r.cfg.Rate
	total := max(int64(r.cfg.Duration.Seconds()*rate), 1)
	jobs := make(chan time.Time, 4096)
	var (
		msgs atomic.Int64
		errs = newErrorLog(r.progress, ScenarioPublishLatency)
		wg   sync.WaitGroup
		mu   sync.Mutex
		call = NewHistogram()
	)
	start := time.Now()
	stop := startProgress(r.progress, ScenarioPublishLatency, start, &msgs, &errs.count)
	for w := range 64 {
		wg.Go(func() {
			h := NewHistogram()
			n := 0
			for due := range jobs {
				n++
				body := eventsBody(tenant, w, n, 1, due)
				t0 := time.Now()
				if err := pc.post(ctx, "/v1/events", body, nil); err != nil {
					if ctx.Err() == nil {
						errs.add(err)
					}
					continue
				}
				h.Record(time.Since(t0))
				msgs.Add(1)
			}
			mu.Lock()
			call.Merge(h)
			mu.Unlock()
		})
	}
	for i := int64(0); i < total && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		jobs <- due
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	stop()
	dr.wait(ctx, msgs.Load(), time.Minute)
	return &Result{
		Scenario:     ScenarioPublishLatency,
		Clients:      64,
		Messages:     msgs.Load(),
		Elapsed:      elapsed,
		Errors:       errs.count.Load() + dr.errs.count.Load(),
		ErrorSamples: append(errs.samples(), dr.errs.samples()...),
		Latency:      dr.hist,
		LatencyOf:    "event, from scheduled POST to ReceiveMessage",
		TargetRate:   rate,
		Service:      call,
		Deliveries:   dr.delivered.Load(),
	}, nil
}
