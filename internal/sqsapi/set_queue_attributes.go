package sqsapi

import "context"

// SetQueueAttributesInput is the input of SetQueueAttributes.
type SetQueueAttributesInput struct {
	queueRef
	Attributes map[string]string `json:"Attributes" query:"Attribute,Name,Value"`
}

func init() { register("SetQueueAttributes", setQueueAttributes) }

func setQueueAttributes(ctx context.Context, c *call, in *SetQueueAttributesInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return nil, c.h.cfg.Engine.SetAttributes(ctx, q, in.Attributes)
}
