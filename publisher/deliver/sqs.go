package deliver

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQS batch limits. SendMessageBatch takes up to 10 entries whose bodies
// and attributes (names, types and values) sum to at most 1 MiB
// (1,048,576 bytes), as does one message since August 2025; a queue's
// MaximumMessageSize may be lower, and SQS then refuses the message alone.
const (
	sqsMaxBatchEntries = 10
	sqsMaxBatchBytes   = 1 << 20
)

// sendSQS sends the jobs idx, all for queueURL, and stores their results.
func (d *Dispatcher) sendSQS(ctx context.Context, queueURL string, jobs []*Job, idx []int, res []Result) {
	fifo := jobs[idx[0]].Destination.FIFO()
	opts := d.sqsOptions(queueURL)
	runBatches(fifo, chunks(jobs, idx, sqsMaxBatchEntries, sqsMaxBatchBytes), func(b []int) {
		if len(b) == 1 {
			res[b[0]] = d.sqsSendOne(ctx, queueURL, fifo, jobs[b[0]], opts)
			return
		}
		d.sqsSendBatch(ctx, queueURL, fifo, jobs, b, res, opts)
	})
}

func (d *Dispatcher) sqsSendOne(ctx context.Context, queueURL string, fifo bool, j *Job, opts []func(*sqs.Options)) Result {
	op := "sqs SendMessage to " + queueURL
	if err := d.acquireAWS(ctx); err != nil {
		return fail(ctxError(op, err))
	}
	defer d.releaseAWS()
	in := &sqs.SendMessageInput{
		QueueUrl:          aws.String(queueURL),
		MessageBody:       aws.String(string(j.Message.Body)),
		MessageAttributes: stringAttrs(j.Message.Attributes, sqsString),
	}
	if fifo {
		in.MessageGroupId = aws.String(j.GroupID)
		in.MessageDeduplicationId = optional(j.DeduplicationID)
	}
	out, err := d.sqs.SendMessage(ctx, in, opts...)
	if err != nil {
		return fail(awsError(op, err))
	}
	return Result{Detail: aws.ToString(out.MessageId)}
}

// sqsSendBatch sends the jobs b in one SendMessageBatch. Entry k has Id
// "k". An error of the whole call is every entry's.
func (d *Dispatcher) sqsSendBatch(ctx context.Context, queueURL string, fifo bool, jobs []*Job, b []int, res []Result, opts []func(*sqs.Options)) {
	op := "sqs SendMessageBatch to " + queueURL
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
	entries := make([]sqstypes.SendMessageBatchRequestEntry, len(b))
	for k, i := range b {
		j := jobs[i]
		e := sqstypes.SendMessageBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(k)),
			MessageBody:       aws.String(string(j.Message.Body)),
			MessageAttributes: stringAttrs(j.Message.Attributes, sqsString),
		}
		if fifo {
			e.MessageGroupId = aws.String(j.GroupID)
			e.MessageDeduplicationId = optional(j.DeduplicationID)
		}
		entries[k] = e
	}
	out, err := d.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries}, opts...)
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
	br.finish(op, "sent")
}

func sqsString(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// optional returns nil for "" and &s otherwise.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sqsOptions sends a request for a queue of another AWS region to that
// region: the SDK addresses the region of its configuration, whatever the
// queue URL's host. With an endpoint configured (Herald's broker, or
// aws.Config.BaseEndpoint) requests go there.
func (d *Dispatcher) sqsOptions(queueURL string) []func(*sqs.Options) {
	if d.cfg.Endpoint != "" || d.cfg.AWS.BaseEndpoint != nil {
		return nil
	}
	r := queueRegion(queueURL)
	if r == "" || r == d.cfg.AWS.Region {
		return nil
	}
	return []func(*sqs.Options){func(o *sqs.Options) { o.Region = r }}
}

// queueRegion returns the region of an AWS queue URL's host,
// sqs.<region>.amazonaws.com[.cn] or the legacy <region>.queue.amazonaws.com;
// "" for any other host.
func queueRegion(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".cn")
	if rest, ok := strings.CutPrefix(h, "sqs."); ok {
		if r, ok := strings.CutSuffix(rest, ".amazonaws.com"); ok && !strings.Contains(r, ".") {
			return r
		}
	}
	if r, ok := strings.CutSuffix(h, ".queue.amazonaws.com"); ok && !strings.Contains(r, ".") {
		return r
	}
	return ""
}
