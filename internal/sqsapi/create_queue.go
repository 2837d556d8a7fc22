package sqsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/queue"
)

// CreateQueueInput is the input of CreateQueue.
type CreateQueueInput struct {
	QueueName  string            `json:"QueueName"`
	Attributes map[string]string `json:"Attributes" query:"Attribute,Name,Value"`
	Tags       map[string]string `json:"tags" query:"Tag,Key,Value"`
}

// CreateQueueOutput is the output of CreateQueue.
type CreateQueueOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

func init() { register("CreateQueue", createQueue) }

func createQueue(ctx context.Context, c *call, in *CreateQueueInput) (*CreateQueueOutput, error) {
	q, err := c.h.cfg.Engine.CreateQueue(ctx, queue.CreateQueueInput{
		Account: c.account, Name: in.QueueName, Attributes: in.Attributes, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return &CreateQueueOutput{QueueUrl: c.queueURL(q)}, nil
}
