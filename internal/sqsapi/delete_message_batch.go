package sqsapi

import "context"

// DeleteMessageBatchRequestEntry is one entry of DeleteMessageBatch.
type DeleteMessageBatchRequestEntry struct {
	Id            string `json:"Id"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// DeleteMessageBatchInput is the input of DeleteMessageBatch.
type DeleteMessageBatchInput struct {
	queueRef
	Entries []DeleteMessageBatchRequestEntry `json:"Entries" query:"DeleteMessageBatchRequestEntry"`
}

// BatchResultEntry is a successful entry of a delete or visibility batch.
type BatchResultEntry struct {
	Id string `json:"Id"`
}

// DeleteMessageBatchOutput is the output of DeleteMessageBatch.
type DeleteMessageBatchOutput struct {
	Successful []BatchResultEntry      `json:"Successful" query:"DeleteMessageBatchResultEntry"`
	Failed     []BatchResultErrorEntry `json:"Failed" query:"BatchResultErrorEntry"`
}

func init() { register("DeleteMessageBatch", deleteMessageBatch) }

func deleteMessageBatch(ctx context.Context, c *call, in *DeleteMessageBatchInput) (*DeleteMessageBatchOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	handles := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i], handles[i] = e.Id, e.ReceiptHandle
	}
	if err := checkBatchIDs(ids, "DeleteMessageBatchRequestEntry"); err != nil {
		return nil, err
	}
	errs, err := c.h.cfg.Engine.DeleteBatch(ctx, q, handles)
	if err != nil {
		return nil, err
	}
	out := &DeleteMessageBatchOutput{Successful: make([]BatchResultEntry, 0, len(ids)), Failed: []BatchResultErrorEntry{}}
	for i, id := range ids {
		if errs[i] != nil {
			out.Failed = append(out.Failed, batchError(id, errs[i]))
		} else {
			out.Successful = append(out.Successful, BatchResultEntry{Id: id})
		}
	}
	return out, nil
}
