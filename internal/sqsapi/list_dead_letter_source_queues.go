package sqsapi

import "context"

// ListDeadLetterSourceQueuesInput is the input of ListDeadLetterSourceQueues.
type ListDeadLetterSourceQueuesInput struct {
	queueRef
	NextToken  string `json:"NextToken"`
	MaxResults *int   `json:"MaxResults"`
}

// ListDeadLetterSourceQueuesOutput is the output of
// ListDeadLetterSourceQueues. The JSON member is lowercase in AWS's model.
type ListDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls" query:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty"`
}

func init() { register("ListDeadLetterSourceQueues", listDeadLetterSourceQueues) }

func listDeadLetterSourceQueues(ctx context.Context, c *call, in *ListDeadLetterSourceQueuesInput) (*ListDeadLetterSourceQueuesOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	urls, next, err := page(c, c.h.cfg.Engine.DeadLetterSources(q), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if urls == nil {
		urls = []string{}
	}
	return &ListDeadLetterSourceQueuesOutput{QueueUrls: urls, NextToken: next}, nil
}
