package snsapi

import "context"

// AddPermissionInput is the input of AddPermission.
type AddPermissionInput struct {
	TopicArn     string   `json:"TopicArn"`
	Label        string   `json:"Label"`
	AWSAccountId []string `json:"AWSAccountId" query:"AWSAccountId.member"`
	ActionName   []string `json:"ActionName" query:"ActionName.member"`
}

func init() { register("AddPermission", addPermission) }

func addPermission(ctx context.Context, c *call, in *AddPermissionInput) (*struct{}, error) {
	return nil, c.engine().AddPermission(ctx, in.TopicArn, in.Label, in.AWSAccountId, in.ActionName)
}
