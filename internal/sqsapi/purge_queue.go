package sqsapi

import "context"

// PurgeQueueInput is the input of PurgeQueue.
type PurgeQueueInput struct {
	queueRef
}

func init() { register("PurgeQueue", purgeQueue) }

func purgeQueue(ctx context.Context, c *call, in *PurgeQueueInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return nil, c.h.cfg.Engine.Purge(ctx, q)
}
