package sqsapi

import "context"

// RemovePermissionInput is the input of RemovePermission.
type RemovePermissionInput struct {
	queueRef
	Label string `json:"Label"`
}

func init() { register("RemovePermission", removePermission) }

func removePermission(ctx context.Context, c *call, in *RemovePermissionInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return nil, c.h.cfg.Engine.RemovePermission(ctx, q, in.Label)
}
