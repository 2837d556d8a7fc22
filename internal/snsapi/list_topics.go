package snsapi

import "context"

// ListTopicsInput is the input of ListTopics.
type ListTopicsInput struct {
	NextToken string `json:"NextToken"`
}

// TopicItem is one topic of ListTopics.
type TopicItem struct {
	TopicArn string `json:"TopicArn"`
}

// ListTopicsOutput is the output of ListTopics.
type ListTopicsOutput struct {
	Topics    []TopicItem `json:"Topics" query:"Topics.member"`
	NextToken string      `json:"NextToken,omitempty"`
}

func init() { register("ListTopics", listTopics) }

func listTopics(ctx context.Context, c *call, in *ListTopicsInput) (*ListTopicsOutput, error) {
	arns, next, err := c.engine().ListTopics(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListTopicsOutput{Topics: make([]TopicItem, len(arns)), NextToken: next}
	for i, a := range arns {
		out.Topics[i].TopicArn = a
	}
	return out, nil
}
