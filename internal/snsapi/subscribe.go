package snsapi

import "context"

// SubscribeInput is the input of Subscribe.
type SubscribeInput struct {
	TopicArn string `json:"TopicArn"`
	Protocol string `json:"Protocol"`
	Endpoint string `json:"Endpoint"`
	attributesInput
	ReturnSubscriptionArn bool `json:"ReturnSubscriptionArn"`
}

// SubscriptionArnOutput is the output of Subscribe and ConfirmSubscription.
type SubscriptionArnOutput struct {
	SubscriptionArn string `json:"SubscriptionArn"`
}

func init() { register("Subscribe", subscribe) }

func subscribe(ctx context.Context, c *call, in *SubscribeInput) (*SubscriptionArnOutput, error) {
	arn, err := c.engine().Subscribe(ctx, in.TopicArn, in.Protocol, in.Endpoint, in.Attributes, in.ReturnSubscriptionArn)
	if err != nil {
		return nil, err
	}
	return &SubscriptionArnOutput{SubscriptionArn: arn}, nil
}
