// Package deliver is the publisher's client to real destinations: it sends
// rendered notifications to SQS queues, SNS topics, https endpoints and
// Kafka topics, and classifies every failure for the caller's retry
// policy.
//
// A Dispatcher sends a slice of Jobs in one call and returns one Result
// per job, index for index. It groups the jobs by destination: SQS jobs
// per queue into SendMessageBatch calls (10 entries, 1 MiB), SNS jobs per
// topic into PublishBatch calls (10 entries, 256 KiB) or Publish, https
// jobs into one signed request each (webhook.Sender), bounded per host,
// and Kafka jobs per broker set into one cached idempotent producer. The
// groups are sent concurrently.
//
// Send never retries: the AWS clients run without the SDK's retryer, and a
// failure is returned as an *Error whose Permanent field says whether a
// retry can help. Scheduling retries, counting attempts and metrics are
// the caller's.
//
// Ordering: jobs for one FIFO queue or topic are sent batch after batch in
// the order given, so the destination sees each message group in order as
// long as every send succeeds. After a failure the caller decides what to
// do with the later jobs of the group.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/herald-dev/herald/internal/httpx"
	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/subscription"
	"github.com/herald-dev/herald/publisher/webhook"
)

// Defaults of Config.
const (
	DefaultMaxAWSRequests = 64
	DefaultHTTPSPerHost   = 8
	// DefaultKafkaDeliveryTimeout is how long a Kafka record may wait in
	// the producer for its acknowledgement before it is failed, so that a
	// record whose Send gave up is not written much later.
	DefaultKafkaDeliveryTimeout = 30 * time.Second
)

// Job is one notification to send.
type Job struct {
	// ID is the delivery id: the webhook-id header for https (the same on
	// every attempt of one delivery). SQS and SNS batch entries get ids of
	// their own.
	ID          string
	Destination subscription.Destination
	Message     *format.Message
	// GroupID and DeduplicationID are the MessageGroupId and
	// MessageDeduplicationId for FIFO destinations (Destination.FIFO());
	// they are not sent to other destinations. A FIFO destination needs a
	// GroupID; DeduplicationID may be empty when the queue or topic has
	// content-based deduplication.
	GroupID, DeduplicationID string
	// Key is the Kafka record key (the entity id).
	Key string
}

// Result is one job's outcome, index for index with the jobs.
type Result struct {
	// Detail is what the destination said: the SQS or SNS MessageId,
	// "HTTP 204", "partition 3 offset 17".
	Detail string
	// Err is nil on success and an *Error otherwise.
	Err error
}

// Config configures a Dispatcher. Zero fields take their defaults.
type Config struct {
	// AWS has the credentials and region for SQS and SNS. A queue URL or
	// topic ARN of another AWS region is sent to that region (when
	// Endpoint is empty). Without an HTTPClient the dispatcher uses the
	// SDK's default client keeping MaxAWSRequests idle connections per
	// host. The SDK's retryer is never used (see Send).
	AWS aws.Config
	// Endpoint is an optional base endpoint for SQS and SNS (Herald's
	// broker, e.g. http://127.0.0.1:9324); empty means AWS's. Requests
	// carry the job's queue URL or topic ARN; the broker finds queues by
	// the URL's path.
	Endpoint string
	// Webhook configures the https sender.
	Webhook webhook.Config
	// KafkaOpts are extra options for every Kafka client, applied after
	// the dispatcher's own (seed brokers, acks all, idempotent writes,
	// a record delivery timeout of DefaultKafkaDeliveryTimeout), so they
	// may override them: TLS, SASL, client id.
	KafkaOpts []kgo.Opt
	// Logger receives the Kafka clients' warnings; nil discards.
	Logger *slog.Logger
	// MaxAWSRequests bounds the SQS and SNS requests in flight across all
	// Send calls; default 64.
	MaxAWSRequests int
	// HTTPSPerHost bounds the https requests in flight to one host
	// (host:port) across all Send calls; default 8.
	HTTPSPerHost int
}

// Dispatcher sends jobs to their destinations. It is safe for concurrent
// use.
type Dispatcher struct {
	cfg     Config
	log     *slog.Logger
	sqs     *sqs.Client
	sns     *sns.Client
	webhook *webhook.Sender
	awsSem  chan struct{}

	mu     sync.Mutex
	closed bool
	hosts  map[string]chan struct{} // https per-host semaphores
	kafka  map[string]*kgo.Client   // by sorted, comma-joined brokers
}

// New returns a Dispatcher for cfg. It connects to nothing: Kafka clients
// are created on first use.
func New(cfg Config) (*Dispatcher, error) {
	if err := cfg.Webhook.Validate(); err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	if cfg.MaxAWSRequests < 0 || cfg.HTTPSPerHost < 0 {
		return nil, errors.New("deliver: MaxAWSRequests and HTTPSPerHost must not be negative")
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("deliver: Endpoint %q is not an http(s) URL", cfg.Endpoint)
		}
	}
	if cfg.MaxAWSRequests == 0 {
		cfg.MaxAWSRequests = DefaultMaxAWSRequests
	}
	if cfg.HTTPSPerHost == 0 {
		cfg.HTTPSPerHost = DefaultHTTPSPerHost
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.KafkaOpts) > 0 {
		// Reject bad options now rather than at the first Kafka job. A new
		// client dials nothing until it is used.
		c, err := kgo.NewClient(append(kafkaOpts([]string{"127.0.0.1:9092"}, log), cfg.KafkaOpts...)...)
		if err != nil {
			return nil, fmt.Errorf("deliver: KafkaOpts: %w", err)
		}
		c.Close()
	}
	// Send never retries: the caller schedules retries with the lease it
	// holds, so the SDK's retryer is replaced by one that never retries.
	// The SQS client keeps its MD5 checksum validation.
	noRetry := func(o *aws.Retryer, maxAttempts *int) {
		*o = aws.NopRetryer{}
		*maxAttempts = 1
	}
	if cfg.AWS.HTTPClient == nil {
		// The SDK's default client keeps 10 idle connections per host:
		// with more requests in flight, connections would be closed and
		// opened again all the time.
		cfg.AWS.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConnsPerHost = max(cfg.MaxAWSRequests, awshttp.DefaultHTTPTransportMaxIdleConnsPerHost)
			tr.MaxIdleConns = max(tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
		})
	}
	if cfg.Webhook.Client == nil {
		// One idle connection kept per request in flight to a host.
		cfg.Webhook.Client = &http.Client{Transport: httpx.Transport(cfg.HTTPSPerHost)}
	}
	d := &Dispatcher{
		cfg: cfg,
		log: log,
		sqs: sqs.NewFromConfig(cfg.AWS, func(o *sqs.Options) {
			if cfg.Endpoint != "" {
				o.BaseEndpoint = aws.String(cfg.Endpoint)
			}
			noRetry(&o.Retryer, &o.RetryMaxAttempts)
		}),
		sns: sns.NewFromConfig(cfg.AWS, func(o *sns.Options) {
			if cfg.Endpoint != "" {
				o.BaseEndpoint = aws.String(cfg.Endpoint)
			}
			noRetry(&o.Retryer, &o.RetryMaxAttempts)
		}),
		webhook: webhook.NewSender(cfg.Webhook),
		awsSem:  make(chan struct{}, cfg.MaxAWSRequests),
		hosts:   map[string]chan struct{}{},
		kafka:   map[string]*kgo.Client{},
	}
	return d, nil
}

// Send sends jobs concurrently and returns one Result per job, index for
// index. It returns when every job has an outcome: sent, refused, or not
// sent because ctx ended (a retriable Error). It never retries. A nil job
// or message, a destination that fails Destination.Validate, a FIFO job
// without GroupID, or an SQS/SNS message that is not valid UTF-8 gets a
// permanent Error without anything being sent.
func (d *Dispatcher) Send(ctx context.Context, jobs []*Job) []Result {
	res := make([]Result, len(jobs))
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		for i := range res {
			res[i] = fail(&Error{Err: ErrClosed})
		}
		return res
	}

	// Jobs are grouped by destination, "sqs <url>", "sns <arn>" and
	// "kafka <brokers>", the groups kept in first-seen order.
	groups := map[string][]int{}
	var order []string
	var httpsJobs []int
	add := func(key string, i int) {
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	for i, j := range jobs {
		if err := checkJob(j); err != nil {
			res[i] = fail(err)
			continue
		}
		switch dst := j.Destination; dst.Type {
		case subscription.DestinationSQS:
			add("sqs "+dst.URL, i)
		case subscription.DestinationSNS:
			add("sns "+dst.TopicARN, i)
		case subscription.DestinationHTTPS:
			httpsJobs = append(httpsJobs, i)
		case subscription.DestinationKafka:
			add("kafka "+brokersKey(dst.Brokers), i)
		}
	}

	var wg sync.WaitGroup
	for _, key := range order {
		kind, name, _ := strings.Cut(key, " ")
		idx := groups[key]
		switch kind {
		case "sqs":
			wg.Go(func() { d.sendSQS(ctx, name, jobs, idx, res) })
		case "sns":
			wg.Go(func() { d.sendSNS(ctx, name, jobs, idx, res) })
		case "kafka":
			wg.Go(func() { d.sendKafka(ctx, name, jobs, idx, res) })
		}
	}
	for _, i := range httpsJobs {
		wg.Go(func() { res[i] = d.sendHTTPS(ctx, jobs[i]) })
	}
	wg.Wait()
	return res
}

// Close closes the Kafka clients, failing records still waiting for
// acknowledgement. Send after Close returns
// a retriable Error wrapping ErrClosed for every job. Close may be called
// more than once.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	d.closed = true
	clients := d.kafka
	d.kafka = map[string]*kgo.Client{}
	d.mu.Unlock()
	for _, c := range clients {
		c.Close()
	}
}

// checkJob refuses jobs that cannot be sent anywhere.
func checkJob(j *Job) *Error {
	if j == nil {
		return permanent("", "deliver: nil job")
	}
	if j.Message == nil {
		return permanent("", "deliver: job %q has no message", j.ID)
	}
	switch j.Destination.Type {
	case subscription.DestinationSQS, subscription.DestinationSNS, subscription.DestinationHTTPS, subscription.DestinationKafka:
		if err := j.Destination.Validate(); err != nil {
			return &Error{Permanent: true, Err: fmt.Errorf("%s: invalid destination: %w", j.Destination.Type, err)}
		}
	default:
		return permanent("", "deliver: job %q: unknown destination type %q", j.ID, j.Destination.Type)
	}
	switch j.Destination.Type {
	case subscription.DestinationSQS, subscription.DestinationSNS:
		m := j.Message
		if !utf8.Valid(m.Body) {
			return permanent("", "%s: the message body is not valid UTF-8 (%s accepts only Unicode text)", j.Destination.Type, strings.ToUpper(j.Destination.Type))
		}
		for name, v := range m.Attributes {
			if !utf8.ValidString(name) || !utf8.ValidString(v) {
				return permanent("", "%s: message attribute %q is not valid UTF-8", j.Destination.Type, strings.ToValidUTF8(name, "\uFFFD"))
			}
		}
		if j.Destination.FIFO() && j.GroupID == "" {
			return permanent("", "%s: %s is FIFO and the job has no message group id", j.Destination.Type, target(j.Destination))
		}
	}
	return nil
}

// target names a destination in messages.
func target(d subscription.Destination) string {
	switch d.Type {
	case subscription.DestinationSNS:
		return d.TopicARN
	case subscription.DestinationKafka:
		return d.Topic
	}
	return d.URL
}

// brokersKey identifies a broker set: sorted, de-duplicated, comma-joined.
func brokersKey(brokers []string) string {
	b := slices.Clone(brokers)
	slices.Sort(b)
	return strings.Join(slices.Compact(b), ",")
}

// msgSize is what a message's attributes count toward SQS and SNS size
// limits: each name, data type ("String") and value.
func msgSize(m *format.Message) int {
	n := len(m.Body)
	for name, v := range m.Attributes {
		n += len(name) + len("String") + len(v)
	}
	return n
}

// chunks splits idx, in order, into batches of at most maxEntries jobs
// whose sizes sum to at most maxBytes. A job over maxBytes alone gets a
// batch of its own, for the destination to refuse.
func chunks(jobs []*Job, idx []int, maxEntries, maxBytes int) [][]int {
	var out [][]int
	var cur []int
	size := 0
	for _, i := range idx {
		n := msgSize(jobs[i].Message)
		if len(cur) > 0 && (len(cur) == maxEntries || size+n > maxBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, i)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// acquireAWS waits for a slot among Config.MaxAWSRequests.
func (d *Dispatcher) acquireAWS(ctx context.Context) error {
	select {
	case d.awsSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Dispatcher) releaseAWS() { <-d.awsSem }

// runBatches runs send for each batch: one after the other for a FIFO
// destination (so message groups keep their order), concurrently
// otherwise.
func runBatches(fifo bool, batches [][]int, send func([]int)) {
	if fifo || len(batches) == 1 {
		for _, b := range batches {
			send(b)
		}
		return
	}
	var wg sync.WaitGroup
	for _, b := range batches {
		wg.Go(func() { send(b) })
	}
	wg.Wait()
}

// stringAttrs converts message attributes with conv, nil when none.
func stringAttrs[T any](attrs map[string]string, conv func(string) T) map[string]T {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]T, len(attrs))
	for k, v := range attrs {
		out[k] = conv(v)
	}
	return out
}

// batchResults stores the results of one batch call's entries, whose Ids
// are their positions in b.
type batchResults struct {
	b    []int
	res  []Result
	done []bool
}

func (r *batchResults) set(id string, x Result) {
	k, err := strconv.Atoi(id)
	if err != nil || k < 0 || k >= len(r.b) || r.done[k] {
		return
	}
	r.done[k] = true
	r.res[r.b[k]] = x
}

// finish fails the entries the response did not mention (retriable: the
// message may or may not have been sent).
func (r *batchResults) finish(op, sent string) {
	for k, ok := range r.done {
		if !ok {
			r.res[r.b[k]] = fail(&Error{Err: &opError{op: op, msg: "the response has no result for this message; it may or may not have been " + sent}})
		}
	}
}
