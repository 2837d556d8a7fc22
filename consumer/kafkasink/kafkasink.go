// Package kafkasink is a consumer.Sink that produces every event to one or
// more Kafka topics with franz-go.
//
// Each event becomes one record per configured topic. Topics, key, value and
// headers are consumer.Templates, so one listener can feed several
// environments, for example the topics qa-archive-new and prod-archive-new,
// or "{{.Vars.env}}-archive-new". Every record carries the headers
// herald-message-id and herald-key (the event's deduplication key): delivery
// is at least once, and a consumer of the topic drops repeats by herald-key.
//
// The producer is idempotent and waits for all in-sync replicas by default,
// and batches records from concurrent Deliver calls; Deliver returns only
// when every record of its event was acknowledged.
//
// # Errors
//
// Deliver classifies its errors for the pipeline: permanent ones
// (consumer.Permanent) send the event to quarantine at once, retriable ones
// leave its message in the queue for redelivery, so an error that never
// clears ends in the queue's redrive policy (its dead-letter queue), not in
// a loop.
//
//	error                                   class      why
//	a template fails to render              permanent  the event lacks what the templates need
//	a rendered topic name is illegal        permanent  the name comes from the event
//	MESSAGE_TOO_LARGE (broker or client)    permanent  the record alone exceeds the limit (*)
//	RECORD_LIST_TOO_LARGE                   permanent  as above
//	INVALID_RECORD                          permanent  the broker refuses this record (e.g. no key on a compacted topic)
//	INVALID_TOPIC_EXCEPTION                 permanent  the broker refuses the topic name, which comes from the event
//	UNKNOWN_TOPIC_OR_PARTITION              retriable  topics get created; the queue keeps the events meanwhile
//	*_AUTHORIZATION_FAILED, SASL failures   retriable  an operator fixes the ACL or the secret; quarantining every event meanwhile would empty the queue
//	CORRUPT_MESSAGE                         retriable  a checksum failure on the way; Kafka calls it retriable
//	NOT_ENOUGH_REPLICAS, timeouts, broker   retriable  the cluster is unwell, not the event
//	down, client closed, ctx ended, other
//
// (*) A batch holds records of several Deliver calls. The client never
// builds a batch over Config.MaxMessageBytes, so a broker answers
// MESSAGE_TOO_LARGE for a batch of small records only when MaxMessageBytes
// is above the topic's max.message.bytes: keep them in step.
package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/herald-dev/herald/consumer"
)

// Sink produces events to Kafka. It is safe for concurrent use.
type Sink struct {
	client     *kgo.Client
	tmpl       *templates
	vars       map[string]string
	timeout    time.Duration
	nearlyFull int64 // buffered records above which Produce may block
	logger     *slog.Logger

	closeOnce sync.Once
}

var _ consumer.Sink = (*Sink)(nil)

// New validates cfg, creates the Kafka client and checks that a broker
// answers (authenticating when cfg.SASL is set) within cfg.ProduceTimeout
// or ctx, whichever ends first. An unreachable cluster or a refused login is
// an error here, not at the first Deliver. Constant topics the cluster does
// not know (or does not let us see) are logged as a warning: they may be
// created after the listener starts, and until then their events are
// retried. A nil logger discards logs; franz-go's own warnings and errors
// go to logger as such, its informational logs at Debug level.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Sink, error) {
	tmpl, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("sink", "kafka")
	opts := append(cfg.kgoOpts(), kgo.WithLogger(kgoLogger{logger}))
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkasink: new client: %w", err)
	}
	s := &Sink{
		client:  client,
		tmpl:    tmpl,
		vars:    maps.Clone(cfg.Vars),
		timeout: cfg.ProduceTimeout.Or(DefaultProduceTimeout),
		logger:  logger,
	}
	maxBuffered := int64(cfg.MaxBufferedRecords)
	if maxBuffered == 0 {
		maxBuffered = DefaultMaxBufferedRecords
	}
	s.nearlyFull = maxBuffered * 9 / 10

	pingCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := client.Ping(pingCtx); err != nil {
		client.Close()
		hint := ""
		if cfg.SASL != nil {
			hint = " (or all refused the SASL login)"
		}
		return nil, fmt.Errorf("kafkasink: no broker of %s answered%s: %w", strings.Join(cfg.Brokers, ","), hint, err)
	}
	s.checkTopics(pingCtx, cfg.Topics)
	logger.Info("kafka sink ready", "brokers", cfg.Brokers, "topics", cfg.Topics)
	return s, nil
}

// checkTopics warns about constant topics the cluster does not report.
func (s *Sink) checkTopics(ctx context.Context, topics []string) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		if !strings.Contains(t, "{{") {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	}
	if len(req.Topics) == 0 {
		return
	}
	resp, err := req.RequestWith(ctx, s.client)
	if err != nil {
		s.logger.Warn("kafka sink: topic metadata", "err", err)
		return
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			s.logger.Warn("kafka sink: topic not usable yet; its events are retried until it is", "topic", topicName(t.Topic), "err", err)
		}
	}
}

// Deliver produces one record per configured topic and returns nil once
// every one of them was acknowledged (by as many replicas as Config.Acks
// asks for). The records are produced together, not one topic after the
// other, and batched with those of concurrent calls.
//
// A template that fails to render, or renders a topic name Kafka forbids, is
// a consumer.Permanent error, and so is a broker refusing a record for what
// it is (too large, invalid); the package documentation has the table. Every
// other error is retriable: the broker is unreachable, a topic does not
// exist, the records were not acknowledged within Config.ProduceTimeout, or
// ctx ended. When Deliver returns early some records may still be written:
// a redelivery then produces them again, with the same herald-key.
func (s *Sink) Deliver(ctx context.Context, ev *consumer.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kafkasink: deliver %s: %w", ev.MessageID, err)
	}
	d, err := s.build(ev)
	if err != nil {
		return consumer.Permanent(fmt.Errorf("kafkasink: deliver %s: %w", ev.MessageID, err))
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	// Records carry no canceling context: franz-go fails a whole batch,
	// records of other Deliver calls included, when its first record's
	// context ends. Deliver gives up on its own below instead. Only when
	// the buffer is (nearly) full, and Produce may block for space, does ctx
	// bound that wait, at the risk of failing other calls' records with it.
	pctx := context.Background()
	if s.client.BufferedProduceRecords()+int64(len(d.recs)) > s.nearlyFull {
		pctx = ctx
	}
	for i := range d.recs {
		s.client.Produce(pctx, &d.recs[i], d.promise)
	}

	select {
	case <-d.done:
	case <-ctx.Done():
		err := ctx.Err()
		if parent.Err() == nil {
			err = fmt.Errorf("not acknowledged within produce_timeout %s: %w", s.timeout, err)
		}
		return fmt.Errorf("kafkasink: deliver %s: %d of %d records pending: %w",
			ev.MessageID, d.pending.Load(), len(d.recs), err)
	}
	d.mu.Lock()
	errs := d.errs
	d.mu.Unlock()
	if len(errs) == 0 {
		return nil
	}
	err = fmt.Errorf("kafkasink: deliver %s: %w", ev.MessageID, errors.Join(errs...))
	for _, e := range errs {
		if isPermanent(e) {
			return consumer.Permanent(err)
		}
	}
	return err
}

// delivery is one Deliver's records and their promises.
type delivery struct {
	recs    []kgo.Record
	pending atomic.Int32
	done    chan struct{} // closed when pending reaches 0

	mu   sync.Mutex
	errs []error
}

func (d *delivery) promise(r *kgo.Record, err error) {
	if err != nil {
		d.mu.Lock()
		d.errs = append(d.errs, fmt.Errorf("produce to %s: %w", r.Topic, err))
		d.mu.Unlock()
	}
	if d.pending.Add(-1) == 0 {
		close(d.done)
	}
}

// build renders ev's records. Its errors are all about the event.
func (s *Sink) build(ev *consumer.Event) (*delivery, error) {
	t := s.tmpl
	d := &delivery{recs: make([]kgo.Record, len(t.topics)), done: make(chan struct{})}
	d.pending.Store(int32(len(d.recs)))

	var key []byte
	if t.key != nil {
		k, err := t.key.Execute(ev, s.vars)
		if err != nil {
			return nil, err
		}
		key = []byte(k)
	}
	value := ev.Body
	if t.value != nil {
		v, err := t.value.Execute(ev, s.vars)
		if err != nil {
			return nil, err
		}
		value = []byte(v)
	}
	// The records share one header slice; franz-go only reads it.
	headers := make([]kgo.RecordHeader, 2, 2+len(t.headers))
	headers[0] = kgo.RecordHeader{Key: HeaderMessageID, Value: []byte(ev.MessageID)}
	headers[1] = kgo.RecordHeader{Key: HeaderKey, Value: []byte(ev.Key)}
	for i, h := range t.headers {
		v, err := h.Execute(ev, s.vars)
		if err != nil {
			return nil, err
		}
		headers = append(headers, kgo.RecordHeader{Key: t.headerNames[i], Value: []byte(v)})
	}
	for i, tt := range t.topics {
		topic, err := tt.Execute(ev, s.vars)
		if err != nil {
			return nil, err
		}
		if err := checkTopic(topic); err != nil {
			return nil, fmt.Errorf("%s: %w", tt.String(), err)
		}
		d.recs[i] = kgo.Record{Topic: topic, Key: key, Value: value, Headers: headers}
	}
	return d, nil
}

// Close waits up to Config.ProduceTimeout for records still buffered (those
// of Deliver calls that gave up early) and closes the client. Later calls do
// nothing and return nil.
func (s *Sink) Close() error {
	var err error
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		if ferr := s.client.Flush(ctx); ferr != nil {
			err = fmt.Errorf("kafkasink: close: flush: %w", ferr)
		}
		s.client.Close()
	})
	return err
}

// kgoLogger passes franz-go's logs to slog, one level lower: its Info
// (connections, metadata) is our Debug, its Debug is below Debug.
type kgoLogger struct{ l *slog.Logger }

var kgoLevels = [...]struct {
	kgo  kgo.LogLevel
	slog slog.Level
}{
	{kgo.LogLevelDebug, slog.LevelDebug - 4},
	{kgo.LogLevelInfo, slog.LevelDebug},
	{kgo.LogLevelWarn, slog.LevelWarn},
	{kgo.LogLevelError, slog.LevelError},
}

func (k kgoLogger) Level() kgo.LogLevel {
	for _, lv := range kgoLevels {
		if k.l.Enabled(context.Background(), lv.slog) {
			return lv.kgo
		}
	}
	return kgo.LogLevelNone
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	for _, lv := range kgoLevels {
		if lv.kgo == level {
			k.l.Log(context.Background(), lv.slog, "kafka: "+msg, keyvals...)
			return
		}
	}
}

func topicName(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
