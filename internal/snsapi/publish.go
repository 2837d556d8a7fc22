package snsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/topic"
)

// PublishInput is the input of Publish.
type PublishInput struct {
	TopicArn               string                           `json:"TopicArn"`
	TargetArn              string                           `json:"TargetArn"`
	PhoneNumber            string                           `json:"PhoneNumber"`
	Message                string                           `json:"Message"`
	Subject                *string                          `json:"Subject"`
	MessageStructure       string                           `json:"MessageStructure"`
	MessageAttributes      map[string]MessageAttributeValue `json:"MessageAttributes" query:"MessageAttributes.entry,Name,Value"`
	MessageDeduplicationId string                           `json:"MessageDeduplicationId"`
	MessageGroupId         string                           `json:"MessageGroupId"`
}

// PublishOutput is the output of Publish.
type PublishOutput struct {
	MessageId      string `json:"MessageId"`
	SequenceNumber string `json:"SequenceNumber,omitempty"`
}

func init() { register("Publish", publish) }

func publish(ctx context.Context, c *call, in *PublishInput) (*PublishOutput, error) {
	if in.PhoneNumber != "" {
		return nil, topic.Errorf(topic.ErrInvalidParameter, "Invalid parameter: PhoneNumber Reason: SMS is not supported by this server")
	}
	pi := topic.PublishInput{
		TopicArn: in.TopicArn, TargetArn: in.TargetArn, Message: in.Message,
		MessageStructure: in.MessageStructure, Attributes: toDomainAttrs(in.MessageAttributes),
		GroupID: in.MessageGroupId, DedupID: in.MessageDeduplicationId,
	}
	if in.Subject != nil {
		pi.Subject, pi.HasSubject = *in.Subject, true
	}
	res, err := c.engine().Publish(ctx, pi)
	if err != nil {
		return nil, err
	}
	return &PublishOutput{MessageId: res.MessageID, SequenceNumber: res.SequenceNumber}, nil
}
