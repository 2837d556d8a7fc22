package sqsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/queue"
)

// GetQueueUrlInput is the input of GetQueueUrl.
type GetQueueUrlInput struct {
	QueueName              string `json:"QueueName"`
	QueueOwnerAWSAccountId string `json:"QueueOwnerAWSAccountId"`
}

// GetQueueUrlOutput is the output of GetQueueUrl.
type GetQueueUrlOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

func init() { register("GetQueueUrl", getQueueURL) }

func getQueueURL(ctx context.Context, c *call, in *GetQueueUrlInput) (*GetQueueUrlOutput, error) {
	if in.QueueName == "" {
		return nil, queue.Errorf(queue.ErrMissingParameter, "The request must contain the parameter QueueName.")
	}
	account := c.account
	if in.QueueOwnerAWSAccountId != "" {
		account = in.QueueOwnerAWSAccountId
	}
	q, err := c.h.cfg.Engine.Queue(account, in.QueueName)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(q); err != nil {
		return nil, err
	}
	return &GetQueueUrlOutput{QueueUrl: c.queueURL(q)}, nil
}
