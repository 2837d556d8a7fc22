package snsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/topic"
)

// ListSubscriptionsInput is the input of ListSubscriptions.
type ListSubscriptionsInput struct {
	NextToken string `json:"NextToken"`
}

// SubscriptionItem is one subscription of a listing.
type SubscriptionItem struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	Owner           string `json:"Owner"`
	Protocol        string `json:"Protocol"`
	Endpoint        string `json:"Endpoint"`
	TopicArn        string `json:"TopicArn"`
}

// ListSubscriptionsOutput is the output of ListSubscriptions and
// ListSubscriptionsByTopic.
type ListSubscriptionsOutput struct {
	Subscriptions []SubscriptionItem `json:"Subscriptions" query:"Subscriptions.member"`
	NextToken     string             `json:"NextToken,omitempty"`
}

func init() { register("ListSubscriptions", listSubscriptions) }

func listSubscriptions(ctx context.Context, c *call, in *ListSubscriptionsInput) (*ListSubscriptionsOutput, error) {
	subs, next, err := c.engine().ListSubscriptions(in.NextToken)
	return subscriptionsOutput(subs, next, err)
}

func subscriptionsOutput(subs []topic.SubscriptionInfo, next string, err error) (*ListSubscriptionsOutput, error) {
	if err != nil {
		return nil, err
	}
	out := &ListSubscriptionsOutput{Subscriptions: make([]SubscriptionItem, len(subs)), NextToken: next}
	for i, s := range subs {
		out.Subscriptions[i] = SubscriptionItem(s)
	}
	return out, nil
}
