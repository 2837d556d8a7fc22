package sqsapi

import "context"

// ListQueueTagsInput is the input of ListQueueTags.
type ListQueueTagsInput struct {
	queueRef
}

// ListQueueTagsOutput is the output of ListQueueTags.
type ListQueueTagsOutput struct {
	Tags map[string]string `json:"Tags,omitempty" query:"Tag,Key,Value"`
}

func init() { register("ListQueueTags", listQueueTags) }

func listQueueTags(ctx context.Context, c *call, in *ListQueueTagsInput) (*ListQueueTagsOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return &ListQueueTagsOutput{Tags: q.Tags()}, nil
}
