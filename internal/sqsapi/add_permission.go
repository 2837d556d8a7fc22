package sqsapi

import "context"

// AddPermissionInput is the input of AddPermission.
type AddPermissionInput struct {
	queueRef
	Label         string   `json:"Label"`
	AWSAccountIds []string `json:"AWSAccountIds" query:"AWSAccountId"`
	Actions       []string `json:"Actions" query:"ActionName"`
}

func init() { register("AddPermission", addPermission) }

func addPermission(ctx context.Context, c *call, in *AddPermissionInput) (*struct{}, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	return nil, c.h.cfg.Engine.AddPermission(ctx, q, in.Label, in.AWSAccountIds, in.Actions)
}
