package sqsapi

import "context"

// DeleteMessageInput is the input of DeleteMessage.
type DeleteMessageInput struct {
	queueRef
	ReceiptHandle string `json:"ReceiptHandle"`
}

func init() { register("DeleteMessage", deleteMessage) }

func deleteMessage(ctx context.Context, c *call, in *DeleteMessageInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return nil, c.h.cfg.Engine.Delete(ctx, q, in.ReceiptHandle)
}
