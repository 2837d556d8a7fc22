package snsapi

import (
	"context"
	"strings"
)

// ConfirmSubscriptionInput is the input of ConfirmSubscription.
type ConfirmSubscriptionInput struct {
	TopicArn                  string `json:"TopicArn"`
	Token                     string `json:"Token"`
	AuthenticateOnUnsubscribe string `json:"AuthenticateOnUnsubscribe"`
}

func init() { register("ConfirmSubscription", confirmSubscription) }

func confirmSubscription(ctx context.Context, c *call, in *ConfirmSubscriptionInput) (*SubscriptionArnOutput, error) {
	auth := strings.EqualFold(in.AuthenticateOnUnsubscribe, "true")
	arn, err := c.engine().ConfirmSubscription(ctx, in.TopicArn, in.Token, auth)
	if err != nil {
		return nil, err
	}
	return &SubscriptionArnOutput{SubscriptionArn: arn}, nil
}
