package sqsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/queue"
)

// ChangeMessageVisibilityInput is the input of ChangeMessageVisibility.
type ChangeMessageVisibilityInput struct {
	queueRef
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int64 `json:"VisibilityTimeout"`
}

func init() { register("ChangeMessageVisibility", changeMessageVisibility) }

func changeMessageVisibility(ctx context.Context, c *call, in *ChangeMessageVisibilityInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, queue.Errorf(queue.ErrMissingParameter, "The request must contain the parameter ReceiptHandle.")
	}
	if in.VisibilityTimeout == nil {
		return nil, queue.Errorf(queue.ErrMissingParameter, "The request must contain the parameter VisibilityTimeout.")
	}
	return nil, c.h.cfg.Engine.ChangeVisibility(ctx, q, in.ReceiptHandle, *in.VisibilityTimeout)
}
