package snsapi

import "context"

// GetTopicAttributesInput is the input of GetTopicAttributes.
type GetTopicAttributesInput struct {
	TopicArn string `json:"TopicArn"`
}

func init() { register("GetTopicAttributes", getTopicAttributes) }

func getTopicAttributes(ctx context.Context, c *call, in *GetTopicAttributesInput) (*attributesOutput, error) {
	attrs, err := c.engine().TopicAttributes(in.TopicArn)
	if err != nil {
		return nil, err
	}
	return &attributesOutput{Attributes: attrs}, nil
}
