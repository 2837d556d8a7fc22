package snsapi

import "context"

// RemovePermissionInput is the input of RemovePermission.
type RemovePermissionInput struct {
	TopicArn string `json:"TopicArn"`
	Label    string `json:"Label"`
}

func init() { register("RemovePermission", removePermission) }

func removePermission(ctx context.Context, c *call, in *RemovePermissionInput) (*struct{}, error) {
	return nil, c.engine().RemovePermission(ctx, in.TopicArn, in.Label)
}
