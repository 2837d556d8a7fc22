package sqssource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/herald-dev/herald/consumer"
)

// ForwardConfig configures a Forward sink.
type ForwardConfig struct {
	// QueueURL is the queue events are sent to: a consumer.Template, so
	// that one sink can pick the queue from the event. Required.
	QueueURL string `json:"queue_url"`
	// Vars are passed to the template.
	Vars map[string]string `json:"vars"`
	// MessageGroupID is a template for FIFO queues' MessageGroupId; the
	// deduplication id is the event's key.
	MessageGroupID string `json:"message_group_id"`
}

// Forward is a sink that sends each event's body to an SQS queue, with its
// message attributes and herald.key: the "split one queue's events by type
// into several queues" republisher that integrators otherwise write by
// hand.
type Forward struct {
	api   API
	url   *consumer.Template
	group *consumer.Template
	vars  map[string]string
}

// NewForward returns a Forward sink that sends with api.
func NewForward(cfg ForwardConfig, api API) (*Forward, error) {
	if cfg.QueueURL == "" {
		return nil, errors.New("sqs sink: queue_url is required")
	}
	url, err := consumer.ParseTemplate("queue_url", cfg.QueueURL)
	if err != nil {
		return nil, fmt.Errorf("sqs sink: %w", err)
	}
	f := &Forward{api: api, url: url, vars: cfg.Vars}
	if cfg.MessageGroupID != "" {
		if f.group, err = consumer.ParseTemplate("message_group_id", cfg.MessageGroupID); err != nil {
			return nil, fmt.Errorf("sqs sink: %w", err)
		}
	}
	return f, nil
}

// Deliver sends ev. An unrenderable template, a queue that does not exist
// and a message SQS refuses as invalid are permanent; the rest is retried.
func (f *Forward) Deliver(ctx context.Context, ev *consumer.Event) error {
	url, err := f.url.Execute(ev, f.vars)
	if err != nil {
		return consumer.Permanent(err)
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(ev.Body)),
		MessageAttributes: map[string]types.MessageAttributeValue{"herald.key": str(ev.Key)}}
	for k, v := range ev.Attributes {
		if len(in.MessageAttributes) >= 10 {
			break
		}
		if v != "" {
			in.MessageAttributes[k] = str(v)
		}
	}
	if f.group != nil {
		g, err := f.group.Execute(ev, f.vars)
		if err != nil {
			return consumer.Permanent(err)
		}
		in.MessageGroupId = aws.String(g)
		in.MessageDeduplicationId = aws.String(dedupID(ev.Key))
	}
	if _, err := f.api.SendMessage(ctx, in); err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "InvalidMessageContents",
				"InvalidParameterValue", "MissingParameter", "AccessDenied", "KMS.AccessDeniedException":
				return consumer.Permanent(fmt.Errorf("sqs sink %s: %w", url, err))
			}
		}
		return fmt.Errorf("sqs sink %s: %w", url, err)
	}
	return nil
}

// dedupID makes a key a valid deduplication id (at most 128 printable
// ASCII characters, no spaces): the key itself when it is one, else its
// SHA-256 in hex.
func dedupID(key string) string {
	ok := len(key) > 0 && len(key) <= 128
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if ok {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Close does nothing.
func (f *Forward) Close() error { return nil }
