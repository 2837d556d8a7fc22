package sqsapi

import (
	"context"
	"strconv"
	"strings"

	"github.com/herald-dev/herald/internal/queue"
)

// ReceiveMessageInput is the input of ReceiveMessage.
type ReceiveMessageInput struct {
	queueRef
	AttributeNames              []string `json:"AttributeNames" query:"AttributeName"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames" query:"MessageSystemAttributeName"`
	MessageAttributeNames       []string `json:"MessageAttributeNames" query:"MessageAttributeName"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int64   `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int64   `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptId     string   `json:"ReceiveRequestAttemptId"`
}

// Message is one received message on the wire.
type Message struct {
	MessageId              string                           `json:"MessageId"`
	ReceiptHandle          string                           `json:"ReceiptHandle"`
	MD5OfBody              string                           `json:"MD5OfBody"`
	Body                   string                           `json:"Body"`
	Attributes             map[string]string                `json:"Attributes,omitempty" query:"Attribute,Name,Value"`
	MD5OfMessageAttributes string                           `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]MessageAttributeValue `json:"MessageAttributes,omitempty" query:"MessageAttribute,Name,Value"`
}

// ReceiveMessageOutput is the output of ReceiveMessage.
type ReceiveMessageOutput struct {
	Messages []Message `json:"Messages,omitempty" query:"Message"`
}

func init() { register("ReceiveMessage", receiveMessage) }

func receiveMessage(ctx context.Context, c *call, in *ReceiveMessageInput) (*ReceiveMessageOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	ri := queue.ReceiveInput{VisibilityTimeout: in.VisibilityTimeout, WaitTimeSeconds: in.WaitTimeSeconds, AttemptID: in.ReceiveRequestAttemptId}
	if in.MaxNumberOfMessages != nil {
		ri.Max = *in.MaxNumberOfMessages
		if ri.Max < 1 {
			return nil, queue.Errorf(queue.ErrInvalidParameterValue, "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", ri.Max)
		}
	}
	wait := q.WaitTime()
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	if wait > 0 {
		// It may wait: hold one of the long-poll slots.
		if !c.h.acquireLongPoll() {
			return nil, queue.Errorf(queue.ErrRequestThrottled, "Too many concurrent long polls: the server holds at most %d. Retry later or poll with WaitTimeSeconds=0.", c.h.cfg.MaxLongPolls)
		}
		defer c.h.releaseLongPoll()
	}
	msgs, err := c.h.cfg.Engine.Receive(ctx, q, ri)
	if err != nil {
		return nil, err
	}
	sys := append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...)
	out := &ReceiveMessageOutput{}
	if len(msgs) > 0 {
		out.Messages = make([]Message, 0, len(msgs))
	}
	for i := range msgs {
		m := &msgs[i]
		wm := Message{
			MessageId:     m.ID,
			ReceiptHandle: m.ReceiptHandle,
			MD5OfBody:     queue.MD5Hex(m.Body),
			Body:          m.Body,
			Attributes:    systemAttributes(m, sys),
		}
		if attrs := selectAttributes(m.Attributes, in.MessageAttributeNames); len(attrs) > 0 {
			wm.MessageAttributes = fromDomainAttrs(attrs)
			wm.MD5OfMessageAttributes = attrs.MD5()
		}
		out.Messages = append(out.Messages, wm)
	}
	return out, nil
}

// systemAttributes returns the requested system attributes of m.
func systemAttributes(m *queue.Received, names []string) map[string]string {
	if len(names) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	all := want["All"]
	out := map[string]string{}
	add := func(name, v string) {
		if (all || want[name]) && v != "" {
			out[name] = v
		}
	}
	add("SenderId", m.SenderID)
	add("SentTimestamp", strconv.FormatInt(m.SentAt, 10))
	add("ApproximateReceiveCount", strconv.Itoa(int(m.ReceiveCount)))
	add("ApproximateFirstReceiveTimestamp", strconv.FormatInt(m.FirstReceiveAt, 10))
	if m.DedupID != "" {
		add("SequenceNumber", queue.SequenceNumber(m.Seq))
		add("MessageDeduplicationId", m.DedupID)
	}
	add("MessageGroupId", m.GroupID)
	if v, ok := m.SystemAttributes["AWSTraceHeader"]; ok {
		add("AWSTraceHeader", v.StringValue)
	}
	add("DeadLetterQueueSourceArn", m.DeadLetterSource)
	if len(out) == 0 {
		return nil
	}
	return out
}

// selectAttributes filters message attributes by MessageAttributeNames:
// "All" or ".*" for every one, "prefix.*" for a prefix, or exact names.
func selectAttributes(attrs queue.MessageAttributes, names []string) queue.MessageAttributes {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := queue.MessageAttributes{}
	for k, v := range attrs {
		for _, n := range names {
			if n == "All" || n == ".*" || n == k || (strings.HasSuffix(n, ".*") && strings.HasPrefix(k, n[:len(n)-1])) {
				out[k] = v
				break
			}
		}
	}
	return out
}
