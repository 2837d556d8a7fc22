package snsapi

import (
	"context"

	"github.com/herald-dev/herald/internal/topic"
)

// PublishBatchRequestEntry is one entry of PublishBatch.
type PublishBatchRequestEntry struct {
	Id                     string                           `json:"Id"`
	Message                string                           `json:"Message"`
	Subject                *string                          `json:"Subject"`
	MessageStructure       string                           `json:"MessageStructure"`
	MessageAttributes      map[string]MessageAttributeValue `json:"MessageAttributes" query:"MessageAttributes.entry,Name,Value"`
	MessageDeduplicationId string                           `json:"MessageDeduplicationId"`
	MessageGroupId         string                           `json:"MessageGroupId"`
}

// PublishBatchInput is the input of PublishBatch.
type PublishBatchInput struct {
	TopicArn                   string                     `json:"TopicArn"`
	PublishBatchRequestEntries []PublishBatchRequestEntry `json:"PublishBatchRequestEntries" query:"PublishBatchRequestEntries.member"`
}

// PublishBatchResultEntry is one success of PublishBatch.
type PublishBatchResultEntry struct {
	Id             string `json:"Id"`
	MessageId      string `json:"MessageId"`
	SequenceNumber string `json:"SequenceNumber,omitempty"`
}

// BatchResultErrorEntry is one failure of PublishBatch.
type BatchResultErrorEntry struct {
	Id          string `json:"Id"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
	SenderFault bool   `json:"SenderFault"`
}

// PublishBatchOutput is the output of PublishBatch.
type PublishBatchOutput struct {
	Successful []PublishBatchResultEntry `json:"Successful" query:"Successful.member"`
	Failed     []BatchResultErrorEntry   `json:"Failed" query:"Failed.member"`
}

func init() { register("PublishBatch", publishBatch) }

func publishBatch(ctx context.Context, c *call, in *PublishBatchInput) (*PublishBatchOutput, error) {
	entries := make([]topic.BatchEntry, len(in.PublishBatchRequestEntries))
	for i, e := range in.PublishBatchRequestEntries {
		pi := topic.PublishInput{
			TopicArn: in.TopicArn, Message: e.Message, MessageStructure: e.MessageStructure,
			Attributes: toDomainAttrs(e.MessageAttributes), GroupID: e.MessageGroupId, DedupID: e.MessageDeduplicationId,
		}
		if e.Subject != nil {
			pi.Subject, pi.HasSubject = *e.Subject, true
		}
		entries[i] = topic.BatchEntry{ID: e.Id, PublishInput: pi}
	}
	results, err := c.engine().PublishBatch(ctx, in.TopicArn, entries)
	if err != nil {
		return nil, err
	}
	out := &PublishBatchOutput{Successful: []PublishBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	for _, r := range results {
		if r.Err != nil {
			code := topic.ErrorCode(r.Err)
			msg := r.Err.Error()
			if te, ok := r.Err.(*topic.Error); ok {
				msg = te.Message
			}
			out.Failed = append(out.Failed, BatchResultErrorEntry{Id: r.ID, Code: batchErrorCode(code), Message: msg, SenderFault: code != topic.ErrInternal})
			continue
		}
		out.Successful = append(out.Successful, PublishBatchResultEntry{Id: r.ID, MessageId: r.Result.MessageID, SequenceNumber: r.Result.SequenceNumber})
	}
	return out, nil
}
