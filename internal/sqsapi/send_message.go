package sqsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/queue"
)

// SendMessageInput is the input of SendMessage.
type SendMessageInput struct {
	queueRef
	MessageBody             *string                          `json:"MessageBody"`
	DelaySeconds            *int64                           `json:"DelaySeconds"`
	MessageAttributes       map[string]MessageAttributeValue `json:"MessageAttributes" query:"MessageAttribute,Name,Value"`
	MessageSystemAttributes map[string]MessageAttributeValue `json:"MessageSystemAttributes" query:"MessageSystemAttribute,Name,Value"`
	MessageDeduplicationId  string                           `json:"MessageDeduplicationId"`
	MessageGroupId          string                           `json:"MessageGroupId"`
}

// SendMessageOutput is the output of SendMessage.
type SendMessageOutput struct {
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	MessageId                    string `json:"MessageId"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

func init() { register("SendMessage", sendMessage) }

func (c *call) sendInput(body *string, delay *int64, attrs, sys map[string]MessageAttributeValue, dedup, group string) queue.SendInput {
	in := queue.SendInput{
		HasBody:          body != nil,
		DelaySeconds:     delay,
		Attributes:       toDomainAttrs(attrs),
		SystemAttributes: toDomainAttrs(sys),
		DedupID:          dedup,
		GroupID:          group,
		SenderID:         c.senderID,
	}
	if body != nil {
		in.Body = *body
	}
	return in
}

func sendMessage(ctx context.Context, c *call, in *SendMessageInput) (*SendMessageOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	res, err := c.h.cfg.Engine.Send(ctx, q, c.sendInput(in.MessageBody, in.DelaySeconds, in.MessageAttributes, in.MessageSystemAttributes, in.MessageDeduplicationId, in.MessageGroupId))
	if err != nil {
		return nil, err
	}
	return &SendMessageOutput{
		MD5OfMessageBody:             res.MD5OfBody,
		MD5OfMessageAttributes:       res.MD5OfAttributes,
		MD5OfMessageSystemAttributes: res.MD5OfSystemAttributes,
		MessageId:                    res.MessageID,
		SequenceNumber:               res.SequenceNumber,
	}, nil
}
