package sqssource

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/consumer"
)

// Quarantine sends events that can never be processed to a dead-letter
// queue, with the reason in message attributes:
//
//	herald.quarantine.reason     why (validation error, sink refusal)
//	herald.source.message_id     the original message's id
//	herald.key                   the event's deduplication key
//	herald.event.index           the event's index when it was split
//
// plus as many of the original message attributes as fit in SQS's ten. The
// body is the original message body for an event that is the whole
// message, or the event's own JSON for an event split from a message, so
// that its siblings are not quarantined with it.
type Quarantine struct {
	api      API
	queueURL string
}

// NewQuarantine returns a quarantine that sends to queueURL.
func NewQuarantine(api API, queueURL string) (*Quarantine, error) {
	if queueURL == "" {
		return nil, errors.New("sqs quarantine: queue URL is required")
	}
	return &Quarantine{api: api, queueURL: queueURL}, nil
}

// maxReason keeps the reason attribute well inside SQS's limits.
const maxReason = 4096

// Quarantine implements consumer.Quarantine.
func (q *Quarantine) Quarantine(ctx context.Context, ev *consumer.Event, reason error) error {
	body := ev.Body
	if ev.Index < 0 && ev.Message != nil {
		body = ev.Message.Body
	}
	text := reason.Error()
	if len(text) > maxReason {
		text = text[:maxReason]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	attrs := map[string]types.MessageAttributeValue{
		"herald.quarantine.reason": str(text),
		"herald.source.message_id": str(ev.MessageID),
		"herald.key":               str(ev.Key),
	}
	if ev.Index >= 0 {
		attrs["herald.event.index"] = types.MessageAttributeValue{
			DataType: aws.String("Number"), StringValue: aws.String(fmt.Sprint(ev.Index)),
		}
	}
	names := make([]string, 0, len(ev.Attributes))
	for k := range ev.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if len(attrs) >= 10 {
			break
		}
		if _, taken := attrs[k]; !taken && ev.Attributes[k] != "" {
			attrs[k] = str(ev.Attributes[k])
		}
	}
	_, err := q.api.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(q.queueURL), MessageBody: aws.String(string(body)), MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("sqs quarantine %s: %w", q.queueURL, err)
	}
	return nil
}

func str(s string) types.MessageAttributeValue {
	if s == "" {
		s = "-" // SQS refuses empty attribute values
	}
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}
