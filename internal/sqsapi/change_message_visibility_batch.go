package sqsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/queue"
)

// ChangeMessageVisibilityBatchRequestEntry is one entry of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchRequestEntry struct {
	Id                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int64 `json:"VisibilityTimeout"`
}

// ChangeMessageVisibilityBatchInput is the input of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchInput struct {
	queueRef
	Entries []ChangeMessageVisibilityBatchRequestEntry `json:"Entries" query:"ChangeMessageVisibilityBatchRequestEntry"`
}

// ChangeMessageVisibilityBatchOutput is the output of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchOutput struct {
	Successful []BatchResultEntry      `json:"Successful" query:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []BatchResultErrorEntry `json:"Failed" query:"BatchResultErrorEntry"`
}

func init() { register("ChangeMessageVisibilityBatch", changeMessageVisibilityBatch) }

func changeMessageVisibilityBatch(ctx context.Context, c *call, in *ChangeMessageVisibilityBatchInput) (*ChangeMessageVisibilityBatchOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids, "ChangeMessageVisibilityBatchRequestEntry"); err != nil {
		return nil, err
	}
	var handles []string
	var timeouts []int64
	var idx []int
	out := &ChangeMessageVisibilityBatchOutput{Successful: []BatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	for i, e := range in.Entries {
		if e.VisibilityTimeout == nil {
			out.Failed = append(out.Failed, batchError(e.Id, queue.Errorf(queue.ErrMissingParameter, "The request must contain the parameter VisibilityTimeout.")))
			continue
		}
		handles = append(handles, e.ReceiptHandle)
		timeouts = append(timeouts, *e.VisibilityTimeout)
		idx = append(idx, i)
	}
	errs, err := c.h.cfg.Engine.ChangeVisibilityBatch(ctx, q, handles, timeouts)
	if err != nil {
		return nil, err
	}
	for j, i := range idx {
		if errs[j] != nil {
			out.Failed = append(out.Failed, batchError(ids[i], errs[j]))
		} else {
			out.Successful = append(out.Successful, BatchResultEntry{Id: ids[i]})
		}
	}
	return out, nil
}
