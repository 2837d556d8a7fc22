package snsapi

import "strings"

// resourced is implemented by the inputs that name a topic (directly, or
// through a subscription or tagged resource), for authorization.
type resourced interface{ resource() string }

func (in *AddPermissionInput) resource() string            { return in.TopicArn }
func (in *ConfirmSubscriptionInput) resource() string      { return in.TopicArn }
func (in *DeleteTopicInput) resource() string              { return in.TopicArn }
func (in *GetTopicAttributesInput) resource() string       { return in.TopicArn }
func (in *ListSubscriptionsByTopicInput) resource() string { return in.TopicArn }
func (in *PublishBatchInput) resource() string             { return in.TopicArn }
func (in *RemovePermissionInput) resource() string         { return in.TopicArn }
func (in *SetTopicAttributesInput) resource() string       { return in.TopicArn }
func (in *SubscribeInput) resource() string                { return in.TopicArn }
func (in *ListTagsForResourceInput) resource() string      { return in.ResourceArn }
func (in *TagResourceInput) resource() string              { return in.ResourceArn }
func (in *UntagResourceInput) resource() string            { return in.ResourceArn }

func (in *PublishInput) resource() string {
	if in.TopicArn != "" {
		return in.TopicArn
	}
	return in.TargetArn
}

func (in *GetSubscriptionAttributesInput) resource() string { return topicOf(in.SubscriptionArn) }
func (in *SetSubscriptionAttributesInput) resource() string { return topicOf(in.SubscriptionArn) }
func (in *UnsubscribeInput) resource() string               { return topicOf(in.SubscriptionArn) }

// topicOf returns the topic ARN of a subscription ARN (…:topic:id).
func topicOf(subscriptionArn string) string {
	if i := strings.LastIndexByte(subscriptionArn, ':'); i > 0 {
		return subscriptionArn[:i]
	}
	return subscriptionArn
}
