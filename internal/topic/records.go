package topic

import (
	"encoding/json"

	"github.com/herald-dev/herald/internal/queue"
)

// Record kinds this package keeps in the queue engine's store.
const (
	kindTopic    = "sns.topic"    // key: topic ARN
	kindSub      = "sns.sub"      // key: subscription ARN
	kindDelivery = "sns.delivery" // key: delivery id, zero-padded
	kindDedup    = "sns.dedup"    // key: topic ARN + "\x00" + deduplication id
)

// topicRecord is the durable form of a topic.
type topicRecord struct {
	Arn        string            `json:"arn"`
	Account    string            `json:"account"`
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attrs,omitempty"` // settable attributes as last set
	Tags       map[string]string `json:"tags,omitempty"`
	Created    int64             `json:"created"` // unix ms, also orders ListTopics
	Seq        int64             `json:"seq"`     // creation order
}

// subRecord is the durable form of a subscription.
type subRecord struct {
	Arn        string            `json:"arn"`
	TopicArn   string            `json:"topic"`
	Owner      string            `json:"owner"`
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attrs,omitempty"` // settable attributes as last set
	Confirmed  bool              `json:"confirmed"`
	Token      string            `json:"token,omitempty"` // confirmation token while pending
	AuthUnsub  bool              `json:"auth_unsub,omitempty"`
	Seq        int64             `json:"seq"` // creation order
}

// deliveryRecord is a pending HTTP(S) delivery: the exact request to make
// and how far its retries got. It is written in the same transaction as the
// publish and removed when the endpoint accepted it or it was dead-lettered.
type deliveryRecord struct {
	ID         int64                   `json:"id"`
	Sub        string                  `json:"sub"` // subscription ARN
	TopicArn   string                  `json:"topic"`
	Endpoint   string                  `json:"endpoint"`
	Type       string                  `json:"type"` // Notification, SubscriptionConfirmation, UnsubscribeConfirmation
	MessageID  string                  `json:"message_id"`
	Body       string                  `json:"body"`
	Raw        bool                    `json:"raw,omitempty"`
	Attempts   int                     `json:"attempts"`             // attempts made so far
	NextAt     int64                   `json:"next_at"`              // unix ms of the next attempt
	FirstAt    int64                   `json:"first_at"`             // unix ms of the publish
	Attributes queue.MessageAttributes `json:"attributes,omitempty"` // kept for a dead-letter queue
}

// dedupRecord remembers a FIFO topic's deduplication id for five minutes.
type dedupRecord struct {
	MessageID string `json:"message_id"`
	Seq       string `json:"seq"`
	ExpiresAt int64  `json:"expires_at"` // unix ms
}

func putRecord(kind, key string, v any) queue.Op {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs of strings, numbers and maps
	}
	return queue.Op{Kind: queue.OpPutRecord, Record: &queue.Record{Kind: kind, Key: key, Value: b}}
}

func deleteRecord(kind, key string) queue.Op {
	return queue.Op{Kind: queue.OpDeleteRecord, Record: &queue.Record{Kind: kind, Key: key}}
}
