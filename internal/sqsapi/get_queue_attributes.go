package sqsapi

import "context"

// GetQueueAttributesInput is the input of GetQueueAttributes.
type GetQueueAttributesInput struct {
	queueRef
	AttributeNames []string `json:"AttributeNames" query:"AttributeName"`
}

// GetQueueAttributesOutput is the output of GetQueueAttributes.
type GetQueueAttributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty" query:"Attribute,Name,Value"`
}

func init() { register("GetQueueAttributes", getQueueAttributes) }

func getQueueAttributes(ctx context.Context, c *call, in *GetQueueAttributesInput) (*GetQueueAttributesOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	attrs, err := q.Attributes(in.AttributeNames)
	if err != nil {
		return nil, err
	}
	return &GetQueueAttributesOutput{Attributes: attrs}, nil
}
