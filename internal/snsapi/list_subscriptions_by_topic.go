package snsapi

import "context"

// ListSubscriptionsByTopicInput is the input of ListSubscriptionsByTopic.
type ListSubscriptionsByTopicInput struct {
	TopicArn  string `json:"TopicArn"`
	NextToken string `json:"NextToken"`
}

func init() { register("ListSubscriptionsByTopic", listSubscriptionsByTopic) }

func listSubscriptionsByTopic(ctx context.Context, c *call, in *ListSubscriptionsByTopicInput) (*ListSubscriptionsOutput, error) {
	subs, next, err := c.engine().ListSubscriptionsByTopic(in.TopicArn, in.NextToken)
	return subscriptionsOutput(subs, next, err)
}
