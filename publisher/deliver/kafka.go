package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka record headers besides one per message attribute (named as the
// attribute).
const (
	HeaderContentType = "content-type"
	HeaderSubject     = "subject"
)

// kafkaPermanent are the produce errors about the record itself: producing
// it again gets the same answer.
var kafkaPermanent = []error{
	kerr.MessageTooLarge,
	kerr.RecordListTooLarge,
	kerr.InvalidRecord,
	kerr.InvalidTopicException,
}

// kafkaOpts are the options of every Kafka client, before Config.KafkaOpts.
func kafkaOpts(brokers []string, log *slog.Logger) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.RequiredAcks(kgo.AllISRAcks()), // the idempotent producer is franz-go's default
		kgo.RecordDeliveryTimeout(DefaultKafkaDeliveryTimeout),
		kgo.WithLogger(kgoLogger{log}),
	}
}

// kafkaClient returns the cached client of a broker set, creating it on
// first use.
func (d *Dispatcher) kafkaClient(key string) (*kgo.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if c := d.kafka[key]; c != nil {
		return c, nil
	}
	opts := append(kafkaOpts(strings.Split(key, ","), d.log), d.cfg.KafkaOpts...)
	c, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	d.kafka[key] = c
	return c, nil
}

// sendKafka produces the jobs idx, all for the broker set key, and waits
// for their acknowledgements or the end of ctx. Records are produced
// without ctx: franz-go fails a whole batch, records of concurrent Send
// calls included, when the context of its first record ends. A record
// still unacknowledged when ctx ends is reported as not sent (retriable)
// and may yet be written within DefaultKafkaDeliveryTimeout.
func (d *Dispatcher) sendKafka(ctx context.Context, key string, jobs []*Job, idx []int, res []Result) {
	op := func(topic string) string { return "kafka produce to " + topic + " on " + key }
	client, err := d.kafkaClient(key)
	if err != nil {
		for _, i := range idx {
			res[i] = fail(&Error{Err: fmt.Errorf("%s: %w", op(jobs[i].Destination.Topic), err)})
		}
		return
	}
	if err := ctx.Err(); err != nil {
		for _, i := range idx {
			res[i] = fail(ctxError(op(jobs[i].Destination.Topic), err))
		}
		return
	}

	w := &kafkaWait{out: make([]Result, len(idx)), got: make([]bool, len(idx)), pending: len(idx), done: make(chan struct{})}
	for k, i := range idx {
		j := jobs[i]
		topic := j.Destination.Topic
		client.TryProduce(context.Background(), kafkaRecord(j), func(r *kgo.Record, err error) {
			if err != nil {
				w.settle(k, fail(kafkaError(op(topic), err)))
				return
			}
			w.settle(k, Result{Detail: fmt.Sprintf("partition %d offset %d", r.Partition, r.Offset)})
		})
	}
	select {
	case <-w.done:
	case <-ctx.Done():
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.finished = true
	for k, i := range idx {
		if w.got[k] {
			res[i] = w.out[k]
		} else {
			res[i] = fail(ctxError(op(jobs[i].Destination.Topic), ctx.Err()))
		}
	}
}

// kafkaRecord builds a job's record: the body as value, the job's key,
// and headers content-type, subject (when set) and one per attribute, in
// name order.
func kafkaRecord(j *Job) *kgo.Record {
	m := j.Message
	r := &kgo.Record{Topic: j.Destination.Topic, Value: m.Body}
	if j.Key != "" {
		r.Key = []byte(j.Key)
	}
	if m.ContentType != "" {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderContentType, Value: []byte(m.ContentType)})
	}
	if m.Subject != "" {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderSubject, Value: []byte(m.Subject)})
	}
	names := make([]string, 0, len(m.Attributes))
	for n := range m.Attributes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: n, Value: []byte(m.Attributes[n])})
	}
	return r
}

// kafkaWait collects the promises of one sendKafka. Promises arriving
// after sendKafka gave up are dropped.
type kafkaWait struct {
	mu       sync.Mutex
	out      []Result
	got      []bool
	pending  int
	finished bool
	done     chan struct{}
}

func (w *kafkaWait) settle(k int, r Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.finished {
		w.out[k], w.got[k] = r, true
	}
	if w.pending--; w.pending == 0 {
		close(w.done)
	}
}

// kafkaError classifies a produce error. A record the broker refuses for
// what it is (too large, invalid, an illegal topic name) is permanent.
// Everything else is retriable, including errors Kafka does not call
// retriable such as TOPIC_AUTHORIZATION_FAILED or a failed SASL login: an
// operator can fix an ACL or a secret.
func kafkaError(op string, err error) *Error {
	e := &Error{Err: fmt.Errorf("%s: %w", op, err)}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		e.Code = ke.Message
		if !kerr.IsRetriable(err) {
			e.Permanent = slices.ContainsFunc(kafkaPermanent, func(p error) bool { return errors.Is(err, p) })
		}
	}
	return e
}

// kgoLogger passes franz-go's warnings and errors to slog.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	switch {
	case k.l.Enabled(context.Background(), slog.LevelWarn):
		return kgo.LogLevelWarn
	case k.l.Enabled(context.Background(), slog.LevelError):
		return kgo.LogLevelError
	}
	return kgo.LogLevelNone
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelWarn
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
	default:
		return
	}
	k.l.Log(context.Background(), lv, "kafka: "+msg, keyvals...)
}
