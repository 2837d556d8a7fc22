package sqsapi

import (
	"context"
	"encoding/base64"
	"strconv"

	"github.com/herald-dev/herald/internal/queue"
)

// ListQueuesInput is the input of ListQueues.
type ListQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix"`
	NextToken       string `json:"NextToken"`
	MaxResults      *int   `json:"MaxResults"`
}

// ListQueuesOutput is the output of ListQueues.
type ListQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty" query:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty"`
}

func init() { register("ListQueues", listQueues) }

func listQueues(ctx context.Context, c *call, in *ListQueuesInput) (*ListQueuesOutput, error) {
	qs := c.h.cfg.Engine.Queues(c.account, in.QueueNamePrefix)
	urls, next, err := page(c, qs, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ListQueuesOutput{QueueUrls: urls, NextToken: next}, nil
}

// page cuts a name-sorted queue list into a page. Without MaxResults it
// returns up to 1000 URLs and never a NextToken, as SQS does. The token is
// the last name returned.
func page(c *call, qs []*queue.Queue, token string, max *int) ([]string, string, error) {
	limit := 1000
	if max != nil {
		if *max < 1 || *max > 1000 {
			return nil, "", queue.Errorf(queue.ErrInvalidParameterValue, "Value %s for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", strconv.Itoa(*max))
		}
		limit = *max
	}
	after := ""
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", queue.Errorf(queue.ErrInvalidParameterValue, "Invalid NextToken value.")
		}
		after = string(b)
	}
	var urls []string
	next := ""
	for i, q := range qs {
		if after != "" && q.Name() <= after {
			continue
		}
		if len(urls) == limit {
			if max != nil {
				next = base64.RawURLEncoding.EncodeToString([]byte(qs[i-1].Name()))
			}
			break
		}
		urls = append(urls, c.queueURL(q))
	}
	return urls, next, nil
}
