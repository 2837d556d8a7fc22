package deliver

import (
	"context"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// SNS batch limits: PublishBatch takes up to 10 entries whose messages and
// attributes sum to at most 256 KiB (262,144 bytes), the limit of one
// message too.
const (
	snsMaxBatchEntries = 10
	snsMaxBatchBytes   = 256 << 10
)

// sendSNS sends the jobs idx, all for topicARN, and stores their results:
// Publish for a batch of one, PublishBatch otherwise.
func (d *Dispatcher) sendSNS(ctx context.Context, topicARN string, jobs []*Job, idx []int, res []Result) {
	fifo := jobs[idx[0]].Destination.FIFO()
	opts := d.snsOptions(topicARN)
	runBatches(fifo, chunks(jobs, idx, snsMaxBatchEntries, snsMaxBatchBytes), func(b []int) {
		if len(b) == 1 {
			res[b[0]] = d.snsPublishOne(ctx, topicARN, fifo, jobs[b[0]], opts)
			return
		}
		d.snsPublishBatch(ctx, topicARN, fifo, jobs, b, res, opts)
	})
}

func (d *Dispatcher) snsPublishOne(ctx context.Context, topicARN string, fifo bool, j *Job, opts []func(*sns.Options)) Result {
	op := "sns Publish to " + topicARN
	if err := d.acquireAWS(ctx); err != nil {
		return fail(ctxError(op, err))
	}
	defer d.releaseAWS()
	in := &sns.PublishInput{
		TopicArn:          aws.String(topicARN),
		Message:           aws.String(string(j.Message.Body)),
		Subject:           optional(j.Message.Subject),
		MessageAttributes: stringAttrs(j.Message.Attributes, snsString),
	}
	if fifo {
		in.MessageGroupId = aws.String(j.GroupID)
		in.MessageDeduplicationId = optional(j.DeduplicationID)
	}
	out, err := d.sns.Publish(ctx, in, opts...)
	if err != nil {
		return fail(awsError(op, err))
	}
	return Result{Detail: aws.ToString(out.MessageId)}
}

// snsPublishBatch publishes the jobs b in one PublishBatch. Entry k has
// Id "k". An error of the whole call is every entry's.
func (d *Dispatcher) snsPublishBatch(ctx context.Context, topicARN string, fifo bool, jobs []*Job, b []int, res []Result, opts []func(*sns.Options)) {
	op := "sns PublishBatch to " + topicARN
	failAll := func(e *Error) {
		for _, i := range b {
			c := *e
			res[i] = fail(&c)
		}
	}
	if err := d.acquireAWS(ctx); err != nil {
		failAll(ctxError(op, err))
		return
	}
	defer d.releaseAWS()
	entries := make([]snstypes.PublishBatchRequestEntry, len(b))
	for k, i := range b {
		j := jobs[i]
		e := snstypes.PublishBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(k)),
			Message:           aws.String(string(j.Message.Body)),
			Subject:           optional(j.Message.Subject),
			MessageAttributes: stringAttrs(j.Message.Attributes, snsString),
		}
		if fifo {
			e.MessageGroupId = aws.String(j.GroupID)
			e.MessageDeduplicationId = optional(j.DeduplicationID)
		}
		entries[k] = e
	}
	out, err := d.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(topicARN), PublishBatchRequestEntries: entries}, opts...)
	if err != nil {
		failAll(awsError(op, err))
		return
	}
	br := batchResults{b: b, res: res, done: make([]bool, len(b))}
	for _, s := range out.Successful {
		br.set(aws.ToString(s.Id), Result{Detail: aws.ToString(s.MessageId)})
	}
	for _, f := range out.Failed {
		br.set(aws.ToString(f.Id), fail(entryError(op, aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault)))
	}
	br.finish(op, "published")
}

func snsString(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// snsOptions sends a request for a topic of another AWS region to that
// region (the ARN's fourth part), unless an endpoint is configured.
func (d *Dispatcher) snsOptions(topicARN string) []func(*sns.Options) {
	if d.cfg.Endpoint != "" || d.cfg.AWS.BaseEndpoint != nil {
		return nil
	}
	parts := strings.Split(topicARN, ":")
	if len(parts) != 6 || parts[3] == "" || parts[3] == d.cfg.AWS.Region {
		return nil
	}
	r := parts[3]
	return []func(*sns.Options){func(o *sns.Options) { o.Region = r }}
}
