package bench

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// fromLoop fills the common fields of a Result from a closed loop.
func fromLoop(name string, clients int, lr loopResult) *Result {
	return &Result{
		Scenario:     name,
		Clients:      clients,
		Messages:     lr.msgs,
		Elapsed:      lr.elapsed,
		Errors:       lr.errors,
		ErrorSamples: lr.samples,
		Latency:      lr.hist,
		ClientCPU:    lr.cpu.client,
		BrokerCPU:    lr.cpu.broker,
	}
}

// send measures single SendMessage calls from Concurrency closed-loop
// clients.
func (r *runner) send(ctx context.Context, url string) *Result {
	lr := r.closedLoop(ctx, ScenarioSend, r.cfg.Concurrency, r.cfg.Duration, func(ctx context.Context, _ int) outcome {
		_, err := r.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(r.body)})
		if err != nil {
			return outcome{err: err}
		}
		return outcome{msgs: 1}
	})
	res := fromLoop(ScenarioSend, r.cfg.Concurrency, lr)
	res.LatencyOf = "call"
	return res
}

// batchEntries returns n SendMessageBatch entries with ids "0".."n-1".
func (r *runner) batchEntries(n int) []types.SendMessageBatchRequestEntry {
	e := make([]types.SendMessageBatchRequestEntry, n)
	for i := range e {
		e[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(r.body)}
	}
	return e
}

// batchSend measures SendMessageBatch calls of batchSize entries from
// Concurrency closed-loop clients.
func (r *runner) batchSend(ctx context.Context, url string) *Result {
	entries := r.batchEntries(r.cfg.batchSize())
	lr := r.closedLoop(ctx, ScenarioBatchSend, r.cfg.Concurrency, r.cfg.Duration, func(ctx context.Context, _ int) outcome {
		out, err := r.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			return outcome{err: err}
		}
		return outcome{msgs: len(out.Successful), failed: len(out.Failed)}
	})
	res := fromLoop(ScenarioBatchSend, r.cfg.Concurrency, lr)
	res.BatchSize = len(entries)
	res.LatencyOf = "call of " + strconv.Itoa(len(entries))
	return res
}

// receiveDelete prefills the queue with batch sends, then measures
// ReceiveMessage (10 at most, 1 s long poll) + DeleteMessageBatch cycles
// from Concurrency workers, and checks that no message id came twice.
func (r *runner) receiveDelete(ctx context.Context, url string) (*Result, error) {
	workers := r.cfg.Concurrency
	sent := make([][]string, workers)
	pre, bs := r.prefill(ctx, ScenarioReceiveDelete+" prefill", url, sent)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if pre.msgs == 0 {
		return nil, errors.New("prefill sent no message")
	}

	// Receive and delete until Duration passes or the queue is drained.
	recv := make([][]string, workers)
	var empty atomic.Int64
	lr := r.closedLoop(ctx, ScenarioReceiveDelete, workers, r.cfg.Duration, func(ctx context.Context, w int) outcome {
		out, err := r.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			return outcome{err: err}
		}
		if len(out.Messages) == 0 {
			empty.Add(1)
			return outcome{skip: true, done: true} // nothing visible for a whole second: drained
		}
		del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			recv[w] = append(recv[w], aws.ToString(m.MessageId))
			del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		dout, err := r.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
		if err != nil {
			return outcome{err: err}
		}
		return outcome{msgs: len(dout.Successful), failed: len(dout.Failed)}
	})

	res := fromLoop(ScenarioReceiveDelete, workers, lr)
	res.LatencyOf = "receive+delete cycle"
	res.Prefill = &Phase{Messages: pre.msgs, Elapsed: pre.elapsed, Errors: pre.errors, BatchSize: bs}
	res.EmptyReceives = empty.Load()
	if res.EmptyReceives > 0 && lr.lastDone > 0 {
		// The queue ran dry: rate over the time there was work to do,
		// not the idle long polls at the end.
		res.Drained = true
		res.Elapsed = lr.lastDone
	}
	res.Received, res.Duplicates, res.Unknown = countIDs(sent, recv)
	res.QueueLeft, res.ExpectedLeft = -1, pre.msgs-lr.msgs
	if n, err := r.queueDepth(ctx, url); err == nil {
		res.QueueLeft = n
	}
	return res, ctx.Err()
}

// prefill fills url with SendMessageBatch calls from --concurrency
// workers, for --duration or until --prefill messages are sent, and returns
// the loop's result and the batch size. When sent is not nil (one slice per
// worker), each worker's successful message ids are appended to its slice.
func (r *runner) prefill(ctx context.Context, label, url string, sent [][]string) (loopResult, int) {
	entries := r.batchEntries(r.cfg.batchSize())
	bs := int64(len(entries))
	byCount := r.cfg.Prefill > 0
	var left atomic.Int64
	left.Store(int64(r.cfg.Prefill))
	d := r.cfg.Duration
	if byCount {
		d = 24 * time.Hour
	}
	pre := r.closedLoop(ctx, label, r.cfg.Concurrency, d, func(ctx context.Context, w int) outcome {
		n := bs
		if byCount {
			after := left.Add(-bs)
			if after+bs <= 0 {
				return outcome{skip: true, done: true}
			}
			n = min(bs, after+bs)
		}
		out, err := r.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries[:n]})
		if err != nil {
			return outcome{err: err}
		}
		if sent != nil {
			for _, s := range out.Successful {
				sent[w] = append(sent[w], aws.ToString(s.MessageId))
			}
		}
		return outcome{msgs: len(out.Successful), failed: len(out.Failed)}
	})
	return pre, int(bs)
}

// countIDs returns how many message ids were received, how many of those
// repeat an id received before, and how many were never sent.
func countIDs(sent, recv [][]string) (received, duplicates, unknown int64) {
	known := map[string]struct{}{}
	for _, ids := range sent {
		for _, id := range ids {
			known[id] = struct{}{}
		}
	}
	seen := make(map[string]struct{}, len(known))
	for _, ids := range recv {
		for _, id := range ids {
			received++
			if _, dup := seen[id]; dup {
				duplicates++
				continue
			}
			seen[id] = struct{}{}
			if _, ok := known[id]; !ok {
				unknown++
			}
		}
	}
	return received, duplicates, unknown
}

// queueDepth returns the visible plus in-flight messages of a queue.
func (r *runner) queueDepth(ctx context.Context, url string) (int64, error) {
	out, err := r.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, k := range []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, err := strconv.ParseInt(out.Attributes[string(k)], 10, 64)
		if err != nil {
			return 0, err
		}
		n += v
	}
	return n, nil
}

// latency sends single messages open loop: message i is due at start +
// i/Rate, whether or not earlier ones have finished, and its latency runs
// from that due time, so that a stall of the broker (or of this client)
// shows in every message it delays.
//
// The pacer sleeps, and the Go runtime rounds sleeps below a millisecond up
// to one when it has nothing else to do (epoll's timeout is in
// milliseconds), so a send may start up to about a millisecond late. That
// delay counts in the latency, as it should; it is also reported on its own
// (StartLag), beside the time of the call alone (Service).
func (r *runner) latency(ctx context.Context, url string) *Result {
	rate := r.cfg.Rate
	total := max(int64(r.cfg.Duration.Seconds()*rate), 1)
	workers := max(r.cfg.Concurrency, 64) // enough that sends rarely wait for a free sender
	jobs := make(chan time.Time, 4096)
	var (
		msgs     atomic.Int64
		errs     = newErrorLog(r.progress, ScenarioLatency)
		wg       sync.WaitGroup
		mu       sync.Mutex
		hist     = NewHistogram()
		lag      = NewHistogram()
		service  = NewHistogram()
		lastDone time.Time
	)
	start := time.Now()
	stop := startProgress(r.progress, ScenarioLatency, start, &msgs, &errs.count)
	for range workers {
		wg.Go(func() {
			h, l, sv := NewHistogram(), NewHistogram(), NewHistogram()
			var last time.Time
			for due := range jobs {
				t0 := time.Now()
				_, err := r.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(r.body)})
				t1 := time.Now()
				if err != nil {
					if ctx.Err() == nil {
						errs.add(err)
					}
					continue
				}
				h.Record(t1.Sub(due))
				l.Record(t0.Sub(due))
				sv.Record(t1.Sub(t0))
				last = t1
				msgs.Add(1)
			}
			mu.Lock()
			hist.Merge(h)
			lag.Merge(l)
			service.Merge(sv)
			if last.After(lastDone) {
				lastDone = last
			}
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
	stop()
	res := &Result{
		Scenario:     ScenarioLatency,
		Clients:      workers,
		Messages:     msgs.Load(),
		Elapsed:      time.Since(start),
		Errors:       errs.count.Load(),
		ErrorSamples: errs.samples(),
		Latency:      hist,
		LatencyOf:    "message, from its scheduled send time",
		TargetRate:   rate,
		StartLag:     lag,
		Service:      service,
	}
	if !lastDone.IsZero() {
		res.Elapsed = lastDone.Sub(start)
	}
	return res
}
