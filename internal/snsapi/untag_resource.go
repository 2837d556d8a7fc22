package snsapi

import "context"

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	ResourceArn string   `json:"ResourceArn"`
	TagKeys     []string `json:"TagKeys" query:"TagKeys.member"`
}

func init() { register("UntagResource", untagResource) }

func untagResource(ctx context.Context, c *call, in *UntagResourceInput) (*emptyResult, error) {
	if err := c.engine().UntagResource(ctx, in.ResourceArn, in.TagKeys); err != nil {
		return nil, err
	}
	return &emptyResult{}, nil
}
