package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// runner holds what every scenario shares.
type runner struct {
	cfg      *Config
	client   *sqs.Client
	progress io.Writer // stderr: progress lines and the first errors
	body     string
}

// runScenario creates a fresh queue, runs scenario name on it and deletes
// the queue, even when ctx is done.
func (r *runner) runScenario(ctx context.Context, name string) (*Result, error) {
	qname := fmt.Sprintf("%s-%s-%s", r.cfg.QueuePrefix, name, strconv.FormatInt(time.Now().UnixNano(), 36))
	out, err := r.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(qname)})
	if err != nil {
		return nil, fmt.Errorf("create queue %s: %w", qname, err)
	}
	url := aws.ToString(out.QueueUrl)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := r.client.DeleteQueue(dctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			fmt.Fprintf(r.progress, "%s: delete queue %s: %v\n", name, qname, err)
		}
	}()
	var res *Result
	switch name {
	case ScenarioSend:
		res = r.send(ctx, url)
	case ScenarioBatchSend:
		res = r.batchSend(ctx, url)
	case ScenarioReceiveDelete:
		res, err = r.receiveDelete(ctx, url)
	case ScenarioLatency:
		res = r.latency(ctx, url)
	case ScenarioConsume:
		res, err = r.consume(ctx, url)
	case ScenarioPublish:
		res, err = r.publish(ctx, url)
	case ScenarioPublishLatency:
		res, err = r.publishLatency(ctx, url)
	default:
		return nil, fmt.Errorf("unknown scenario %q", name)
	}
	if res != nil {
		res.Queue = qname
	}
	return res, err
}

// outcome is what one operation of a closed loop reports.
type outcome struct {
	msgs   int   // messages completed
	failed int   // entries that failed inside a call that succeeded
	err    error // the call itself failed: an error, and no latency sample
	skip   bool  // take no latency sample (an empty receive, say)
	done   bool  // this worker stops (nothing left to do)
}

// loopResult is what closedLoop measured.
type loopResult struct {
	msgs     int64
	errors   int64
	hist     *Histogram
	elapsed  time.Duration // from the start until the last worker stopped
	lastDone time.Duration // from the start until the last latency sample ended
	samples  []string      // the first distinct error messages
	cpu      cpuUse        // CPU the clients and the broker used meanwhile
}

// closedLoop runs workers goroutines that each call op back to back until d
// has passed, every worker stopped by itself, or ctx is done. Each call that
// succeeds and does not skip is one latency sample. Progress is printed once
// per second under label.
func (r *runner) closedLoop(ctx context.Context, label string, workers int, d time.Duration, op func(ctx context.Context, worker int) outcome) loopResult {
	var (
		msgs atomic.Int64
		errs = newErrorLog(r.progress, label)
		wg   sync.WaitGroup
		mu   sync.Mutex
		res  = loopResult{hist: NewHistogram()}
	)
	cpu0 := r.cpuNow(ctx)
	start := time.Now()
	deadline := start.Add(d)
	stop := startProgress(r.progress, label, start, &msgs, &errs.count)
	for w := range workers {
		wg.Go(func() {
			h := NewHistogram()
			var last time.Time
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				o := op(ctx, w)
				t1 := time.Now()
				if o.err != nil {
					if ctx.Err() != nil {
						break // interrupted, not a failure of the broker
					}
					errs.add(o.err)
					continue
				}
				if !o.skip {
					h.Record(t1.Sub(t0))
					last = t1
				}
				msgs.Add(int64(o.msgs))
				for range o.failed {
					errs.add(errFailedEntry)
				}
				if o.done {
					break
				}
			}
			mu.Lock()
			res.hist.Merge(h)
			if l := last.Sub(start); !last.IsZero() && l > res.lastDone {
				res.lastDone = l
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = r.cpuNow(context.WithoutCancel(ctx)).since(cpu0)
	stop()
	res.msgs = msgs.Load()
	res.errors = errs.count.Load()
	res.samples = errs.samples()
	return res
}

// errFailedEntry stands for one failed entry of a batch call.
var errFailedEntry = fmt.Errorf("a batch entry failed")

// errorLog counts errors and prints the first few distinct ones.
type errorLog struct {
	w     io.Writer
	label string
	count atomic.Int64
	mu    sync.Mutex
	seen  []string
}

const maxErrorSamples = 5

func newErrorLog(w io.Writer, label string) *errorLog {
	return &errorLog{w: w, label: label}
}

func (l *errorLog) add(err error) {
	l.count.Add(1)
	msg := err.Error()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) >= maxErrorSamples {
		return
	}
	for _, s := range l.seen {
		if s == msg {
			return
		}
	}
	l.seen = append(l.seen, msg)
	fmt.Fprintf(l.w, "%s: error: %s\n", l.label, msg)
}

func (l *errorLog) samples() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

// startProgress prints, once per second until the returned function is
// called, label, the time since start and the rate of msgs over the last
// second (and the errors so far, if any). The returned function waits for
// the printer to finish.
func startProgress(w io.Writer, label string, start time.Time, msgs, errs *atomic.Int64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		prevN, prevT := msgs.Load(), start
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				n := msgs.Load()
				rate := float64(n-prevN) / now.Sub(prevT).Seconds()
				line := fmt.Sprintf("%s: %ds %s msgs/s", label, int(now.Sub(start).Round(time.Second)/time.Second), groupDigits(int64(rate+0.5)))
				if e := errs.Load(); e > 0 {
					line += fmt.Sprintf(", %s errors", groupDigits(e))
				}
				fmt.Fprintln(w, line)
				prevN, prevT = n, now
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// groupDigits formats n with commas between groups of three digits.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
