package snsapi

import "context"

// GetSubscriptionAttributesInput is the input of GetSubscriptionAttributes.
type GetSubscriptionAttributesInput struct {
	SubscriptionArn string `json:"SubscriptionArn"`
}

func init() { register("GetSubscriptionAttributes", getSubscriptionAttributes) }

func getSubscriptionAttributes(ctx context.Context, c *call, in *GetSubscriptionAttributesInput) (*attributesOutput, error) {
	attrs, err := c.engine().SubscriptionAttributes(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	return &attributesOutput{Attributes: attrs}, nil
}
