package sqsapi

import "context"

// DeleteQueueInput is the input of DeleteQueue.
type DeleteQueueInput struct {
	queueRef
}

func init() { register("DeleteQueue", deleteQueue) }

func deleteQueue(ctx context.Context, c *call, in *DeleteQueueInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return nil, c.h.cfg.Engine.DeleteQueue(ctx, q)
}
