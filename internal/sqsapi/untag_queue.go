package sqsapi

import "context"

// UntagQueueInput is the input of UntagQueue.
type UntagQueueInput struct {
	queueRef
	TagKeys []string `json:"TagKeys" query:"TagKey"`
}

func init() { register("UntagQueue", untagQueue) }

func untagQueue(ctx context.Context, c *call, in *UntagQueueInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return nil, c.h.cfg.Engine.Tag(ctx, q, nil, in.TagKeys)
}
