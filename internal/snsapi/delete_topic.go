package snsapi

import "context"

// DeleteTopicInput is the input of DeleteTopic.
type DeleteTopicInput struct {
	TopicArn string `json:"TopicArn"`
}

func init() { register("DeleteTopic", deleteTopic) }

func deleteTopic(ctx context.Context, c *call, in *DeleteTopicInput) (*struct{}, error) {
	return nil, c.engine().DeleteTopic(ctx, in.TopicArn)
}
