package snsapi

import "context"

// CreateTopicInput is the input of CreateTopic.
type CreateTopicInput struct {
	Name string `json:"Name"`
	attributesInput
	Tags                 []Tag  `json:"Tags" query:"Tags.member"`
	DataProtectionPolicy string `json:"DataProtectionPolicy"`
}

// CreateTopicOutput is the output of CreateTopic.
type CreateTopicOutput struct {
	TopicArn string `json:"TopicArn"`
}

func init() { register("CreateTopic", createTopic) }

func createTopic(ctx context.Context, c *call, in *CreateTopicInput) (*CreateTopicOutput, error) {
	attrs := in.Attributes
	if in.DataProtectionPolicy != "" {
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs["DataProtectionPolicy"] = in.DataProtectionPolicy
	}
	arn, err := c.engine().CreateTopic(ctx, in.Name, attrs, tagMap(in.Tags))
	if err != nil {
		return nil, err
	}
	return &CreateTopicOutput{TopicArn: arn}, nil
}
