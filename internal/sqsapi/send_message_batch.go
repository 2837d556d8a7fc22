package sqsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/queue"
)

// SendMessageBatchRequestEntry is one entry of SendMessageBatch.
type SendMessageBatchRequestEntry struct {
	Id                      string                           `json:"Id"`
	MessageBody             *string                          `json:"MessageBody"`
	DelaySeconds            *int64                           `json:"DelaySeconds"`
	MessageAttributes       map[string]MessageAttributeValue `json:"MessageAttributes" query:"MessageAttribute,Name,Value"`
	MessageSystemAttributes map[string]MessageAttributeValue `json:"MessageSystemAttributes" query:"MessageSystemAttribute,Name,Value"`
	MessageDeduplicationId  string                           `json:"MessageDeduplicationId"`
	MessageGroupId          string                           `json:"MessageGroupId"`
}

// SendMessageBatchInput is the input of SendMessageBatch.
type SendMessageBatchInput struct {
	queueRef
	Entries []SendMessageBatchRequestEntry `json:"Entries" query:"SendMessageBatchRequestEntry"`
}

// SendMessageBatchResultEntry is one successful entry.
type SendMessageBatchResultEntry struct {
	Id                           string `json:"Id"`
	MessageId                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

// SendMessageBatchOutput is the output of SendMessageBatch.
type SendMessageBatchOutput struct {
	Successful []SendMessageBatchResultEntry `json:"Successful" query:"SendMessageBatchResultEntry"`
	Failed     []BatchResultErrorEntry       `json:"Failed" query:"BatchResultErrorEntry"`
}

func init() { register("SendMessageBatch", sendMessageBatch) }

func sendMessageBatch(ctx context.Context, c *call, in *SendMessageBatchInput) (*SendMessageBatchOutput, error) {
	q, err := c.queue(in.queueRef)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids, "SendMessageBatchRequestEntry"); err != nil {
		return nil, err
	}
	ins := make([]queue.SendInput, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ins[i] = c.sendInput(e.MessageBody, e.DelaySeconds, e.MessageAttributes, e.MessageSystemAttributes, e.MessageDeduplicationId, e.MessageGroupId)
		total += len(ins[i].Body) + ins[i].Attributes.Size()
	}
	if total > queue.MaxMessageSize {
		return nil, queue.Errorf(queue.ErrBatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", queue.MaxMessageSize, total)
	}
	results, errs, err := c.h.cfg.Engine.SendBatch(ctx, q, ins)
	if err != nil {
		return nil, err
	}
	out := &SendMessageBatchOutput{Successful: make([]SendMessageBatchResultEntry, 0, len(in.Entries)), Failed: []BatchResultErrorEntry{}}
	for i, e := range in.Entries {
		if errs[i] != nil {
			out.Failed = append(out.Failed, batchError(e.Id, errs[i]))
			continue
		}
		r := results[i]
		out.Successful = append(out.Successful, SendMessageBatchResultEntry{
			Id: e.Id, MessageId: r.MessageID, MD5OfMessageBody: r.MD5OfBody,
			MD5OfMessageAttributes: r.MD5OfAttributes, MD5OfMessageSystemAttributes: r.MD5OfSystemAttributes,
			SequenceNumber: r.SequenceNumber,
		})
	}
	return out, nil
}
