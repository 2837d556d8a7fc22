package test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func redrivePolicy(dlqArn string, max int) string {
	return fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlqArn, max)
}

// poison sends a message to src and receives it maxReceiveCount times
// (src must have VisibilityTimeout 0); the next receive moves it to the DLQ.
func poison(t *testing.T, c *sqs.Client, src, body string, maxReceiveCount int) string {
	t.Helper()
	id := aws.ToString(send(t, c, src, body).MessageId)
	for i := 1; i <= maxReceiveCount; i++ {
		ms := receive(t, c, src, 1, 2)
		if len(ms) != 1 {
			t.Fatalf("receive %d got %d messages", i, len(ms))
		}
		if got := ms[0].Attributes["ApproximateReceiveCount"]; got != strconv.Itoa(i) {
			t.Errorf("receive %d: ApproximateReceiveCount %s", i, got)
		}
	}
	if ms := receive(t, c, src, 1, 0); len(ms) != 0 {
		t.Fatalf("receive %d (over maxReceiveCount %d) returned %q; want it moved to the DLQ", maxReceiveCount+1, maxReceiveCount, bodies(ms))
	}
	return id
}

func TestRedrivePolicy(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	dlq := createQueue(t, c, uniq(t, "dlq"))
	dlqArn := queueArn(t, c, dlq)
	src := createQueue(t, c, uniq(t, "src"), "VisibilityTimeout", "0", "RedrivePolicy", redrivePolicy(dlqArn, 2))
	srcArn := queueArn(t, c, src)

	var rp struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	raw := queueAttrs(t, c, src, types.QueueAttributeNameRedrivePolicy)["RedrivePolicy"]
	if err := json.Unmarshal([]byte(raw), &rp); err != nil {
		t.Fatalf("RedrivePolicy %q: %v", raw, err)
	}
	if rp.DeadLetterTargetArn != dlqArn || (string(rp.MaxReceiveCount) != "2" && string(rp.MaxReceiveCount) != `"2"`) {
		t.Errorf("RedrivePolicy = %s", raw)
	}

	id := poison(t, c, src, "poison", 2)
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("DLQ has %d messages, want 1", len(out.Messages))
	}
	m := out.Messages[0]
	if aws.ToString(m.MessageId) != id || aws.ToString(m.Body) != "poison" {
		t.Errorf("DLQ message %s %q, want %s poison", aws.ToString(m.MessageId), aws.ToString(m.Body), id)
	}
	if got := m.Attributes["DeadLetterQueueSourceArn"]; got != srcArn {
		t.Errorf("DeadLetterQueueSourceArn = %q, want %q", got, srcArn)
	}

	lst, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lst.QueueUrls) != 1 || lst.QueueUrls[0] != src {
		t.Errorf("ListDeadLetterSourceQueues = %v, want [%s]", lst.QueueUrls, src)
	}
	lst, err = c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(src)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lst.QueueUrls) != 0 {
		t.Errorf("ListDeadLetterSourceQueues of a non-DLQ = %v", lst.QueueUrls)
	}

	// Clearing the policy.
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(src), Attributes: pairs("RedrivePolicy", "")}); err != nil {
		t.Fatal(err)
	}
	if p, ok := queueAttrs(t, c, src)["RedrivePolicy"]; ok {
		t.Errorf("RedrivePolicy after clearing = %q", p)
	}
}

func TestRedrivePolicyValidation(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	dlq := createQueue(t, c, uniq(t, "dlq"))
	dlqArn := queueArn(t, c, dlq)
	fifoDLQ := createFIFO(t, c)
	fifoDLQArn := queueArn(t, c, fifoDLQ)
	src := createQueue(t, c, uniq(t, "src"))
	missingArn := "arn:aws:sqs:" + testRegion + ":" + testAccount + ":" + uniq(t, "nope")
	for _, p := range []string{
		redrivePolicy(missingArn, 2),
		redrivePolicy(dlqArn, 0),
		redrivePolicy(dlqArn, 1001),
		redrivePolicy(fifoDLQArn, 2), // DLQ of another queue type
		`{"maxReceiveCount":2}`,
		`not json`,
	} {
		t.Run(p, func(t *testing.T) {
			_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(src), Attributes: pairs("RedrivePolicy", p)})
			wantErr(t, err, codeInvalidPV, 400, "for parameter RedrivePolicy is invalid.")
		})
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(src), Attributes: pairs("RedrivePolicy", redrivePolicy(dlqArn, 1000))}); err != nil {
		t.Errorf("maxReceiveCount 1000: %v", err)
	}
}

func listMoveTasks(t *testing.T, c *sqs.Client, sourceArn string) []types.ListMessageMoveTasksResultEntry {
	t.Helper()
	out, err := c.ListMessageMoveTasks(ctxT(t), &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(sourceArn), MaxResults: aws.Int32(10)})
	if err != nil {
		t.Fatalf("ListMessageMoveTasks: %v", err)
	}
	return out.Results
}

func TestMessageMoveTask(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	dlq := createQueue(t, c, uniq(t, "dlq"))
	dlqArn := queueArn(t, c, dlq)
	src := createQueue(t, c, uniq(t, "src"), "VisibilityTimeout", "0", "RedrivePolicy", redrivePolicy(dlqArn, 1))
	srcArn := queueArn(t, c, src)
	id := poison(t, c, src, "moved back", 1)
	waitFor(t, 3*time.Second, "the message in the DLQ", func() bool {
		v, _, _ := approx(t, c, dlq)
		return v == 1
	})

	// Errors first.
	_, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(srcArn)})
	wantErr(t, err, codeInvalidPV, 400, "Source queue must be configured as a Dead Letter Queue.")
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn + "-missing")})
	wantErr(t, err, "ResourceNotFoundException", 404, "")
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn), DestinationArn: aws.String(srcArn + "-missing")})
	wantErr(t, err, "ResourceNotFoundException", 404, "The resource that you specified for the DestinationArn parameter doesn't exist.")
	_, err = c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("garbage")})
	wantErrCode(t, err, codeInvalidPV, "Value for parameter TaskHandle is invalid.")

	start, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(start.TaskHandle) == "" {
		t.Fatal("StartMessageMoveTask returned no TaskHandle")
	}
	var task types.ListMessageMoveTasksResultEntry
	waitFor(t, 10*time.Second, "the move task to complete", func() bool {
		rs := listMoveTasks(t, c, dlqArn)
		if len(rs) == 0 {
			return false
		}
		task = rs[0]
		return aws.ToString(task.Status) == "COMPLETED"
	})
	if task.ApproximateNumberOfMessagesMoved != 1 || aws.ToInt64(task.ApproximateNumberOfMessagesToMove) != 1 {
		t.Errorf("task moved %d of %d, want 1 of 1", task.ApproximateNumberOfMessagesMoved, aws.ToInt64(task.ApproximateNumberOfMessagesToMove))
	}
	if aws.ToString(task.SourceArn) != dlqArn || task.StartedTimestamp < time.Now().Add(-time.Minute).UnixMilli() {
		t.Errorf("task SourceArn %s StartedTimestamp %d", aws.ToString(task.SourceArn), task.StartedTimestamp)
	}
	if task.TaskHandle != nil {
		t.Errorf("a COMPLETED task lists TaskHandle %q; AWS lists it only while RUNNING", aws.ToString(task.TaskHandle))
	}
	ms := receive(t, c, src, 1, 2)
	if len(ms) != 1 || aws.ToString(ms[0].MessageId) != id || aws.ToString(ms[0].Body) != "moved back" {
		t.Fatalf("source queue got %q after the move, want the original message %s", bodies(ms), id)
	}
	if v, inflight, _ := approx(t, c, dlq); v+inflight != 0 {
		t.Errorf("DLQ still holds %d+%d messages", v, inflight)
	}
}

func TestCancelMessageMoveTask(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	dlq := createQueue(t, c, uniq(t, "dlq"))
	dlqArn := queueArn(t, c, dlq)
	createQueue(t, c, uniq(t, "src"), "RedrivePolicy", redrivePolicy(dlqArn, 3))
	dest := createQueue(t, c, uniq(t, "dest"))
	destArn := queueArn(t, c, dest)
	var es []types.SendMessageBatchRequestEntry
	for i := 0; i < 10; i++ {
		es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(i))})
	}
	for i := 0; i < 2; i++ {
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(dlq), Entries: es}); err != nil {
			t.Fatal(err)
		}
	}
	start, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn), DestinationArn: aws.String(destArn), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	rs := listMoveTasks(t, c, dlqArn)
	if len(rs) != 1 || aws.ToString(rs[0].Status) != "RUNNING" || aws.ToString(rs[0].TaskHandle) != aws.ToString(start.TaskHandle) ||
		aws.ToString(rs[0].DestinationArn) != destArn || aws.ToInt32(rs[0].MaxNumberOfMessagesPerSecond) != 1 {
		t.Errorf("running task listed as %+v", rs)
	}
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn), DestinationArn: aws.String(destArn)})
	wantErr(t, err, codeInvalidPV, 400, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")

	cancel, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: start.TaskHandle})
	if err != nil {
		t.Fatal(err)
	}
	if cancel.ApproximateNumberOfMessagesMoved >= 20 {
		t.Errorf("cancel reports %d moved at 1 message/s", cancel.ApproximateNumberOfMessagesMoved)
	}
	waitFor(t, 5*time.Second, "the task to be CANCELLED", func() bool {
		rs := listMoveTasks(t, c, dlqArn)
		return len(rs) > 0 && aws.ToString(rs[0].Status) == "CANCELLED"
	})
	// Cancelling it again fails: only a running task can be cancelled.
	_, err = c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: start.TaskHandle})
	if err == nil {
		t.Errorf("cancelling a cancelled task succeeded")
	}
	dv, dinf, _ := approx(t, c, dest)
	qv, qinf, _ := approx(t, c, dlq)
	if dv+dinf+qv+qinf != 20 {
		t.Errorf("after cancel: %d in destination + %d left in DLQ, want 20 in all", dv+dinf, qv+qinf)
	}
}
