package sqsapi

import "context"

// TagQueueInput is the input of TagQueue.
type TagQueueInput struct {
	queueRef
	Tags map[string]string `json:"Tags" query:"Tag,Key,Value"`
}

func init() { register("TagQueue", tagQueue) }

func tagQueue(ctx context.Context, c *call, in *TagQueueInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	tags := in.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return nil, c.h.cfg.Engine.Tag(ctx, q, tags, nil)
}
