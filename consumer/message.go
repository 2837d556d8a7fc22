package consumer

import (
	"context"
	"time"
)

// Message is one message as a source received it. A source fills it in;
// the pipeline never changes it.
type Message struct {
	// ID is the source's message id: the SQS MessageId, or the SNS
	// MessageId for HTTP pushes.
	ID string
	// Body is the message body exactly as received.
	Body []byte
	// Attributes are the message attributes of String and Number type, by
	// name (Binary attributes are left out).
	Attributes map[string]string
	// SystemAttributes are the SQS system attributes (SenderId,
	// SentTimestamp, ApproximateReceiveCount, MessageGroupId, ...).
	SystemAttributes map[string]string
	// ReceivedAt is when the source received the message.
	ReceivedAt time.Time
	// Source names the source ("sqs" or "sns"), for logs and metrics.
	Source string
}

// Event is one unit of work: the (unwrapped) message body, or one element of
// it when the pipeline splits messages. Sinks receive Events.
type Event struct {
	// Message is the message the event came from.
	Message *Message
	// Body is the event's own JSON (or the unwrapped body when it is not
	// JSON or not split).
	Body []byte
	// Doc is Body decoded with encoding/json into any (nil when Body is not
	// JSON). Sinks and templates read fields from it; they must not modify
	// it.
	Doc any
	// Index is the event's position in its message's split array, or -1 when
	// the message was not split.
	Index int
	// MessageID is the id of the notification itself: the SNS MessageId when
	// the body was an SNS envelope, else Message.ID.
	MessageID string
	// Subject and TopicArn come from the SNS envelope, when there was one.
	Subject  string
	TopicArn string
	// Attributes are the notification's message attributes: the SNS
	// envelope's MessageAttributes when there was one, else the message's.
	Attributes map[string]string
	// Key is the event's deduplication key (never empty once the pipeline
	// has run its dedupe step). Sinks pass it downstream as an idempotency
	// key where their protocol has one.
	Key string
}

// Outcome is what happened to one event or message.
type Outcome int

const (
	// Delivered: every sink the event was routed to accepted it.
	Delivered Outcome = iota
	// Duplicate: the event's key was already done; nothing was delivered.
	Duplicate
	// Stale: the event was older than its entity's newest applied version.
	Stale
	// Quarantined: the event was invalid or a sink failed permanently; it
	// went to the quarantine.
	Quarantined
	// Unrouted: no route matched the event and there is no default route; it
	// counts as handled.
	Unrouted
	// Failed: a retriable failure; the message must be redelivered.
	Failed
)

var outcomeNames = [...]string{"delivered", "duplicate", "stale", "quarantined", "unrouted", "failed"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Acked reports whether a message with this outcome may be deleted from its
// queue.
func (o Outcome) Acked() bool { return o != Failed }

// A Processor handles received messages: the Pipeline is one. Process
// returns one Outcome per message, in order; a source deletes (or answers
// success for) exactly the messages whose Outcome is Acked. Process is called
// concurrently.
type Processor interface {
	Process(ctx context.Context, msgs []*Message) []Outcome
}

// ProcessorFunc adapts a function to a Processor.
type ProcessorFunc func(ctx context.Context, msgs []*Message) []Outcome

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, msgs []*Message) []Outcome { return f(ctx, msgs) }
