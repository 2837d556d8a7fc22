package snsapi

import "context"

// UnsubscribeInput is the input of Unsubscribe.
type UnsubscribeInput struct {
	SubscriptionArn string `json:"SubscriptionArn"`
}

func init() { register("Unsubscribe", unsubscribe) }

func unsubscribe(ctx context.Context, c *call, in *UnsubscribeInput) (*struct{}, error) {
	return nil, c.engine().Unsubscribe(ctx, in.SubscriptionArn)
}
