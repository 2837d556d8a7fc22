package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/deliver"
	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
	"github.com/herald-dev/herald/publisher/webhook"
)

// worker claims, sends and records until ctx ends. Its batch's outcomes
// are recorded by a goroutine of its own while it claims and sends the
// next batch; it waits before handing over another, so at most one Finish
// per worker is outstanding.
func (r *Relay) worker(ctx context.Context) {
	fin := make(chan finishing)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range fin {
			r.finish(ctx, f)
		}
	}()
	defer func() {
		close(fin)
		<-done
	}()
	for ctx.Err() == nil {
		now := r.cfg.Now()
		ds, err := r.st.Claim(ctx, r.owner, r.cfg.Lease, r.cfg.Batch, now)

		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("publisher: claiming deliveries", "err", err)
				r.sleep(ctx, r.cfg.Poll)
			}
			continue
		}
		if len(ds) == 0 {
			select {
			case <-ctx.Done():
			case <-r.wake:
			case <-time.After(r.cfg.Poll):
			}
			continue
		}
		if len(ds) == r.cfg.Batch {
			r.notify() // more may be due: let an idle worker look too
		}
		fin <- r.deliverClaimed(ctx, now, ds)
	}
}

// finishing is a batch's outcomes on their way to the store.
type finishing struct {
	results             []store.Result
	claimed, sent, done time.Time
}

// finish records a batch's outcomes. A failure leaves the deliveries
// leased: the leases run out and they are attempted again (at least once,
// never lost).
func (r *Relay) finish(ctx context.Context, f finishing) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := r.st.Finish(fctx, r.owner, f.results); err != nil {
		r.log.Error("publisher: recording delivery outcomes", "deliveries", len(f.results), "err", err)
	}
	r.log.Debug("publisher: batch", "deliveries", len(f.results), "claim", f.sent.Sub(f.claimed),
		"send", f.done.Sub(f.sent), "finish", time.Since(start))
}

func (r *Relay) sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// pendingJob is a claimed delivery on its way out.
type pendingJob struct {
	d   *store.Delivery
	job *deliver.Job
	key string // destination key (breaker and limits)
}

// deliverClaimed attempts the claimed deliveries and returns every
// outcome, to be recorded.
func (r *Relay) deliverClaimed(ctx context.Context, claimedAt time.Time, ds []*store.Delivery) finishing {
	results := make([]store.Result, 0, len(ds))
	groups := map[string][]pendingJob{}
	now := r.cfg.Now()
	for _, d := range ds {
		job, key, res := r.prepare(ctx, d, now)
		if res != nil {
			results = append(results, *res)
			continue
		}
		groups[key] = append(groups[key], pendingJob{d: d, job: job, key: key})
	}

	sendCtx, cancel := context.WithDeadline(ctx, claimedAt.Add(r.cfg.Lease*9/10))
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for key, group := range groups {
		lim := r.breakers.limits(key)
		size := lim.capacity * perRequest(group[0].job.Destination.Type)
		if lim.rate > 0 {
			// At most a tenth of a second's worth at once, so that the
			// rate holds over short spans too.
			size = min(size, max(1, int(lim.rate/10)))
		}
		for chunk := range chunks(group, size) {
			wg.Go(func() {
				out := r.sendChunk(sendCtx, ctx, lim, chunk)
				mu.Lock()
				results = append(results, out...)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return finishing{results: results, claimed: claimedAt, sent: now, done: time.Now()}
}

// chunks splits s into pieces of at most n.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// prepare renders d for its subscription. It returns the job and its
// destination key, or a result when d cannot or must not be sent now.
func (r *Relay) prepare(ctx context.Context, d *store.Delivery, now time.Time) (*deliver.Job, string, *store.Result) {
	dead := func(why string) (*deliver.Job, string, *store.Result) {
		r.died(d, why)
		return nil, "", &store.Result{DeliveryID: d.ID, Outcome: store.Dead, Error: why, StartedAt: now}
	}
	sub, err := r.subscription(ctx, d.SubscriptionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return dead("subscription " + d.SubscriptionID + " was deleted")
	case err != nil:
		return nil, "", &store.Result{DeliveryID: d.ID, Outcome: store.Released, NextAttemptAt: now.Add(r.cfg.Poll), Error: err.Error()}
	case !sub.Active:
		return dead("subscription " + d.SubscriptionID + " is inactive")
	case d.Event == nil:
		return dead("event " + d.EventID + " is missing")
	}
	msg, err := render(sub, d)
	if err != nil {
		return dead(err.Error())
	}
	key := destinationKey(sub.Destination)
	if ok, until := r.breakers.allow(key, now); !ok {
		r.stats.held.Add(1)
		return nil, "", &store.Result{DeliveryID: d.ID, Outcome: store.Released, NextAttemptAt: until,
			Error: "circuit open: " + key + " is failing"}
	}
	return newJob(d.ID, sub, d.Event, msg), key, nil
}

// newJob is the notification of ev to sub: FIFO destinations group by
// entity and deduplicate by event, Kafka keys by entity.
func newJob(id string, sub *subscription.Subscription, ev *publisher.Event, msg *format.Message) *deliver.Job {
	return &deliver.Job{
		ID:              id,
		Destination:     sub.Destination,
		Message:         msg,
		GroupID:         ev.EntityID,
		DeduplicationID: ev.ID,
		Key:             ev.EntityID,
	}
}

// died counts and logs a delivery that is dead for why.
func (r *Relay) died(d *store.Delivery, why string) {
	r.stats.dead.Add(1)
	r.log.Warn("publisher: delivery is dead", "delivery", d.ID, "subscription", d.SubscriptionID, "event", d.EventID, "err", why)
}

// subscription returns a subscription from the cache, or from the store
// when the cache does not have it yet (another instance created it).
func (r *Relay) subscription(ctx context.Context, id string) (*subscription.Subscription, error) {
	if s := r.subs.get(id); s != nil {
		return s, nil
	}
	s, err := r.st.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: subscription %s does not validate: %v", store.ErrNotFound, id, err)
	}
	r.subs.put(id, s)
	return s, nil
}

// render renders the delivery's event in the subscription's format.
func render(sub *subscription.Subscription, d *store.Delivery) (*format.Message, error) {
	f, err := format.Lookup(sub.Format)
	if err != nil {
		return nil, err
	}
	msg, err := f.Render(d.Event, sub.FormatVersion)
	if err != nil {
		return nil, fmt.Errorf("rendering event %s as %s: %w", d.EventID, f.Name(), err)
	}
	return msg, nil
}

// perRequest is how many notifications to a destination of type typ one
// request carries at most: SQS and SNS batches of 10, a Kafka produce
// request of many records, one webhook per HTTP request.
func perRequest(typ string) int {
	switch typ {
	case subscription.DestinationSQS, subscription.DestinationSNS:
		return 10
	case subscription.DestinationKafka:
		return 100
	}
	return 1
}

// destinationKey names a destination for the breaker and the limits.
func destinationKey(d subscription.Destination) string {
	switch d.Type {
	case subscription.DestinationSQS, subscription.DestinationHTTPS:
		return d.Type + " " + d.URL
	case subscription.DestinationSNS:
		return d.Type + " " + d.TopicARN
	case subscription.DestinationKafka:
		return d.Type + " " + strings.Join(d.Brokers, ",") + "/" + d.Topic
	}
	return d.Type
}

// sendChunk sends jobs to one destination under its limits and returns
// their results. runCtx is the relay's; when it ends (shutdown) failed
// sends are released rather than counted as attempts.
func (r *Relay) sendChunk(ctx, runCtx context.Context, lim *limiter, chunk []pendingJob) []store.Result {
	out := make([]store.Result, len(chunk))
	per := perRequest(chunk[0].job.Destination.Type)
	weight := (len(chunk) + per - 1) / per
	if err := lim.acquire(ctx, weight, len(chunk)); err != nil {
		for i, p := range chunk {
			out[i] = store.Result{DeliveryID: p.d.ID, Outcome: store.Released, NextAttemptAt: r.cfg.Now()}
		}
		return out
	}
	defer lim.release(weight)
	jobs := make([]*deliver.Job, len(chunk))
	for i, p := range chunk {
		jobs[i] = p.job
	}
	r.stats.inFlight.Add(int64(len(jobs)))
	start := r.cfg.Now()
	res := r.cfg.Sender.Send(ctx, jobs)
	end := r.cfg.Now()
	r.stats.inFlight.Add(-int64(len(jobs)))
	for i, p := range chunk {
		var rr deliver.Result
		if i < len(res) {
			rr = res[i]
		} else {
			rr.Err = errors.New("sender returned no result")
		}
		out[i] = r.outcome(runCtx, p, rr, start, end)
	}
	return out
}

// outcome turns one send's result into the store's result, and feeds the
// breaker, the stats and OnAttempt.
func (r *Relay) outcome(runCtx context.Context, p pendingJob, rr deliver.Result, start, end time.Time) store.Result {
	d := p.d
	res := store.Result{DeliveryID: d.ID, StartedAt: start, Duration: end.Sub(start), Detail: rr.Detail}
	n := d.Attempts + 1
	switch {
	case rr.Err == nil:
		res.Outcome = store.Delivered
		r.breakers.record(p.key, true, end)
		r.stats.delivered.Add(1)
	case runCtx.Err() != nil:
		// Shutting down: the send was cancelled, so it does not count.
		res.Outcome, res.NextAttemptAt = store.Released, end
		r.stats.released.Add(1)
	default:
		res.Error = rr.Err.Error()
		var de *deliver.Error
		permanent := errors.As(rr.Err, &de) && de.Permanent
		if !permanent {
			r.breakers.record(p.key, false, end)
		}
		switch {
		case permanent:
			res.Outcome = store.Dead
			res.Error = "permanent failure: " + res.Error
			r.died(d, res.Error)
		case n >= r.cfg.Retry.MaxAttempts:
			res.Outcome = store.Dead
			res.Error = fmt.Sprintf("gave up after %d attempts: %s", n, res.Error)
			r.died(d, res.Error)
		default:
			wait := webhook.Backoff(n, r.cfg.Retry.Base, r.cfg.Retry.Max, nil)
			if de != nil && de.RetryAfter > wait {
				wait = de.RetryAfter
			}
			res.Outcome, res.NextAttemptAt = store.Retry, end.Add(wait)
			r.stats.retried.Add(1)
		}
	}
	if r.cfg.OnAttempt != nil && res.Outcome != store.Released {
		var latency time.Duration
		if d.Event != nil && !d.CreatedAt.IsZero() {
			latency = end.Sub(d.CreatedAt)
		}
		r.cfg.OnAttempt(AttemptInfo{Destination: p.job.Destination.Type, Outcome: res.Outcome, Duration: res.Duration, Latency: latency})
	}
	return res
}
