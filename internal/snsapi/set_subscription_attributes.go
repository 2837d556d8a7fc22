package snsapi

import "context"

// SetSubscriptionAttributesInput is the input of SetSubscriptionAttributes.
type SetSubscriptionAttributesInput struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	AttributeName   string `json:"AttributeName"`
	AttributeValue  string `json:"AttributeValue"`
}

func init() { register("SetSubscriptionAttributes", setSubscriptionAttributes) }

func setSubscriptionAttributes(ctx context.Context, c *call, in *SetSubscriptionAttributesInput) (*struct{}, error) {
	return nil, c.engine().SetSubscriptionAttribute(ctx, in.SubscriptionArn, in.AttributeName, in.AttributeValue)
}
