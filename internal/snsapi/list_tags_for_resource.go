package snsapi

import "context"

// ListTagsForResourceInput is the input of ListTagsForResource.
type ListTagsForResourceInput struct {
	ResourceArn string `json:"ResourceArn"`
}

// ListTagsForResourceOutput is the output of ListTagsForResource.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"Tags" query:"Tags.member"`
}

func init() { register("ListTagsForResource", listTagsForResource) }

func listTagsForResource(ctx context.Context, c *call, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	tags, err := c.engine().ListTags(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	out := &ListTagsForResourceOutput{Tags: make([]Tag, len(tags))}
	for i, t := range tags {
		out.Tags[i] = Tag{t.Key, t.Value}
	}
	return out, nil
}
