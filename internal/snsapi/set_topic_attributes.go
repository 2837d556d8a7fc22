package snsapi

import "context"

// SetTopicAttributesInput is the input of SetTopicAttributes.
type SetTopicAttributesInput struct {
	TopicArn       string `json:"TopicArn"`
	AttributeName  string `json:"AttributeName"`
	AttributeValue string `json:"AttributeValue"`
}

func init() { register("SetTopicAttributes", setTopicAttributes) }

func setTopicAttributes(ctx context.Context, c *call, in *SetTopicAttributesInput) (*struct{}, error) {
	return nil, c.engine().SetTopicAttribute(ctx, in.TopicArn, in.AttributeName, in.AttributeValue)
}
