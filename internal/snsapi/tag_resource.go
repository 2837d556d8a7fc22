package snsapi

import "context"

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	ResourceArn string `json:"ResourceArn"`
	Tags        []Tag  `json:"Tags" query:"Tags.member"`
}

func init() { register("TagResource", tagResource) }

func tagResource(ctx context.Context, c *call, in *TagResourceInput) (*emptyResult, error) {
	if err := c.engine().TagResource(ctx, in.ResourceArn, tagMap(in.Tags)); err != nil {
		return nil, err
	}
	return &emptyResult{}, nil
}
