package sqssource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/consumer"
)

// API is the part of the SQS client a Source uses; *sqs.Client has it.
type API interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Source polls one queue and hands each batch to a Processor.
type Source struct {
	cfg   Config
	api   API
	proc  consumer.Processor
	log   *slog.Logger
	stats Stats
	// visibility is the visibility timeout messages are received with.
	visibility time.Duration
}

// Stats are the source's counters.
type Stats struct {
	Received, Deleted, DeleteErrors, Released, Heartbeats, ReceiveErrors atomic.Uint64
	// Backlog and NotVisible are the queue's approximate counts, read every
	// BacklogInterval (-1 until first read).
	Backlog, NotVisible atomic.Int64
}

// New returns a Source for cfg that gives messages to proc.
func New(cfg Config, api API, proc consumer.Processor, logger *slog.Logger) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &Source{cfg: cfg, api: api, proc: proc, log: logger.With("queue_url", cfg.QueueURL)}
	s.stats.Backlog.Store(-1)
	s.stats.NotVisible.Store(-1)
	return s, nil
}

// Stats returns the live counters.
func (s *Source) Stats() *Stats { return &s.stats }

// Run consumes the queue until ctx is cancelled, then shuts down gracefully:
// no new receives; batches in flight get ShutdownTimeout to finish; what is
// still unfinished then is cancelled and released with
// ChangeMessageVisibility 0, so another consumer gets it at once. Run
// returns nil after a clean shutdown, or the error that kept it from
// starting (the queue does not exist, credentials are refused).
func (s *Source) Run(ctx context.Context) error {
	if err := s.start(ctx); err != nil {
		return err
	}
	// work outlives ctx by up to ShutdownTimeout so in-flight batches can
	// finish.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopAfter := context.AfterFunc(ctx, func() {
		s.log.Info("shutting down: finishing in-flight messages", "timeout", s.cfg.ShutdownTimeout.Std())
		t := time.AfterFunc(s.cfg.ShutdownTimeout.Std(), cancelWork)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stopAfter()

	var wg sync.WaitGroup
	if s.cfg.BacklogInterval > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); s.watchBacklog(ctx) }()
	}
	for i := 0; i < s.cfg.Concurrency; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); s.poll(ctx, work) }()
	}
	wg.Wait()
	s.log.Info("sqs source stopped")
	return nil
}

// start learns the queue's visibility timeout, which also proves the queue
// exists and the credentials work.
func (s *Source) start(ctx context.Context) error {
	out, err := s.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(s.cfg.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout},
	})
	if err != nil {
		return fmt.Errorf("sqs source: %s: %w", s.cfg.QueueURL, err)
	}
	s.visibility = s.cfg.VisibilityTimeout.Std()
	if s.visibility == 0 {
		secs, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)])
		s.visibility = time.Duration(max(secs, 1)) * time.Second
	}
	s.log.Info("sqs source started", "pollers", s.cfg.Concurrency, "batch_size", s.cfg.BatchSize,
		"wait_time", s.cfg.WaitTime.Std(), "visibility_timeout", s.visibility)
	return nil
}

// poll receives and processes batches until ctx is done.
func (s *Source) poll(ctx, work context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		in := &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(s.cfg.QueueURL),
			MaxNumberOfMessages:         int32(s.cfg.BatchSize),
			WaitTimeSeconds:             int32(s.cfg.WaitTime.Std() / time.Second),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		}
		if s.cfg.VisibilityTimeout > 0 {
			in.VisibilityTimeout = int32(s.visibility / time.Second)
		}
		out, err := s.api.ReceiveMessage(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.stats.ReceiveErrors.Add(1)
			s.log.Warn("receive failed; retrying", "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(out.Messages) == 0 {
			continue
		}
		s.handle(work, out.Messages)
	}
}

// handle processes one received batch, keeping its messages invisible while
// it runs, then deletes the acknowledged messages and releases the rest
// when the work was cancelled by a shutdown.
func (s *Source) handle(work context.Context, received []types.Message) {
	now := time.Now()
	s.stats.Received.Add(uint64(len(received)))
	msgs := make([]*consumer.Message, len(received))
	for i, m := range received {
		msgs[i] = convert(m, now)
	}
	stopBeat := s.heartbeat(work, received)
	outcomes := s.proc.Process(work, msgs)
	stopBeat()

	var ack, nack []types.Message
	for i, o := range outcomes {
		if o.Acked() {
			ack = append(ack, received[i])
		} else {
			nack = append(nack, received[i])
		}
	}
	// Deleting and releasing must happen even when work was just cancelled.
	final, cancel := context.WithTimeout(context.WithoutCancel(work), 30*time.Second)
	defer cancel()
	s.delete(final, ack)
	if len(nack) > 0 && work.Err() != nil {
		s.release(final, nack)
	}
}

func convert(m types.Message, now time.Time) *consumer.Message {
	cm := &consumer.Message{
		ID:               aws.ToString(m.MessageId),
		Body:             []byte(aws.ToString(m.Body)),
		SystemAttributes: m.Attributes,
		ReceivedAt:       now,
		Source:           "sqs",
	}
	if len(m.MessageAttributes) > 0 {
		cm.Attributes = make(map[string]string, len(m.MessageAttributes))
		for k, v := range m.MessageAttributes {
			if v.StringValue != nil {
				cm.Attributes[k] = *v.StringValue
			}
		}
	}
	return cm
}

// heartbeat extends the visibility of msgs every half visibility timeout
// until the returned func is called.
func (s *Source) heartbeat(ctx context.Context, msgs []types.Message) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.visibility / 2)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				s.stats.Heartbeats.Add(1)
				if err := s.changeVisibility(ctx, msgs, s.visibility); err != nil {
					s.log.Warn("visibility heartbeat failed", "err", err)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (s *Source) changeVisibility(ctx context.Context, msgs []types.Message, d time.Duration) error {
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(d / time.Second),
		}
	}
	out, err := s.api.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
		QueueUrl: aws.String(s.cfg.QueueURL), Entries: entries,
	})
	if err != nil {
		return err
	}
	if len(out.Failed) > 0 {
		f := out.Failed[0]
		return fmt.Errorf("%d of %d entries failed, first: %s: %s", len(out.Failed), len(entries),
			aws.ToString(f.Code), aws.ToString(f.Message))
	}
	return nil
}

// delete deletes msgs, logging entries that fail (they will be received
// again and found duplicates).
func (s *Source) delete(ctx context.Context, msgs []types.Message) {
	if len(msgs) == 0 {
		return
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	out, err := s.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(s.cfg.QueueURL), Entries: entries})
	if err != nil {
		s.stats.DeleteErrors.Add(uint64(len(msgs)))
		s.log.Error("delete failed; the messages will be redelivered and skipped as duplicates", "err", err, "messages", len(msgs))
		return
	}
	s.stats.Deleted.Add(uint64(len(out.Successful)))
	for _, f := range out.Failed {
		s.stats.DeleteErrors.Add(1)
		s.log.Error("delete failed; the message will be redelivered and skipped as a duplicate",
			"code", aws.ToString(f.Code), "err", aws.ToString(f.Message))
	}
}

// release makes msgs visible again at once.
func (s *Source) release(ctx context.Context, msgs []types.Message) {
	if err := s.changeVisibility(ctx, msgs, 0); err != nil {
		s.log.Warn("releasing unfinished messages failed; they reappear when their visibility timeout ends", "err", err)
		return
	}
	s.stats.Released.Add(uint64(len(msgs)))
	s.log.Info("released unfinished messages", "messages", len(msgs))
}

// watchBacklog reads the queue's approximate counts for the metrics.
func (s *Source) watchBacklog(ctx context.Context) {
	t := time.NewTicker(s.cfg.BacklogInterval.Std())
	defer t.Stop()
	for {
		out, err := s.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(s.cfg.QueueURL),
			AttributeNames: []types.QueueAttributeName{
				types.QueueAttributeNameApproximateNumberOfMessages,
				types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			},
		})
		if err == nil {
			if n, err := strconv.ParseInt(out.Attributes["ApproximateNumberOfMessages"], 10, 64); err == nil {
				s.stats.Backlog.Store(n)
			}
			if n, err := strconv.ParseInt(out.Attributes["ApproximateNumberOfMessagesNotVisible"], 10, 64); err == nil {
				s.stats.NotVisible.Store(n)
			}
		} else if !errors.Is(err, context.Canceled) {
			s.log.Debug("reading backlog failed", "err", err)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
