package test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// pollVisible short-polls (WaitTimeSeconds 0) every 10ms until a message is
// received or timeout passes, and returns it with the time it arrived.
func pollVisible(t *testing.T, c *sqs.Client, url string, timeout time.Duration) (*types.Message, time.Time) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) > 0 {
			return &out.Messages[0], time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, time.Time{}
}

// within fails unless lo <= d <= hi.
func within(t *testing.T, what string, d, lo, hi time.Duration) {
	t.Helper()
	t.Logf("%s after %v", what, d.Round(time.Millisecond))
	if d < lo || d > hi {
		t.Errorf("%s after %v, want between %v and %v", what, d.Round(time.Millisecond), lo, hi)
	}
}

// TestVisibilityTimeoutSubSecond checks that VisibilityTimeout=1 makes a
// message visible again about 1s after the receive, not at the next whole
// second or after 2s.
func TestVisibilityTimeoutSubSecond(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)

	t.Run("short poll", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "vis"))
		send(t, c, url, "v")
		start := time.Now()
		ms := receive(t, c, url, 1, 0, 1)
		if len(ms) != 1 {
			t.Fatal("no message")
		}
		m, at := pollVisible(t, c, url, 3*time.Second)
		if m == nil {
			t.Fatal("message not visible again within 3s")
		}
		within(t, "visible again", at.Sub(start), 950*time.Millisecond, 1350*time.Millisecond)
		if m.Attributes["ApproximateReceiveCount"] != "2" {
			t.Errorf("ApproximateReceiveCount = %q, want 2", m.Attributes["ApproximateReceiveCount"])
		}
	})

	t.Run("long poll wakes on expiry", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "vis"))
		send(t, c, url, "v")
		start := time.Now()
		if ms := receive(t, c, url, 1, 0, 1); len(ms) != 1 {
			t.Fatal("no message")
		}
		ms := receive(t, c, url, 1, 5)
		if len(ms) != 1 {
			t.Fatal("long poll of 5s did not get the message back")
		}
		within(t, "long poll returned the expired message", time.Since(start), 950*time.Millisecond, 1350*time.Millisecond)
	})

	t.Run("queue default", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "vis"), "VisibilityTimeout", "1")
		send(t, c, url, "v")
		start := time.Now()
		if ms := receive(t, c, url, 1, 0); len(ms) != 1 {
			t.Fatal("no message")
		}
		m, at := pollVisible(t, c, url, 3*time.Second)
		if m == nil {
			t.Fatal("message not visible again within 3s")
		}
		within(t, "visible again", at.Sub(start), 950*time.Millisecond, 1350*time.Millisecond)
	})
}

func TestChangeMessageVisibility(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)

	t.Run("to 0 makes it visible at once", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "cmv"))
		send(t, c, url, "m")
		ms := receive(t, c, url, 1, 0)
		if len(ms) != 1 {
			t.Fatal("no message")
		}
		if got := receive(t, c, url, 1, 0); len(got) != 0 {
			t.Fatal("message visible while in flight")
		}
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
		got := receive(t, c, url, 1, 0)
		if len(got) != 1 || aws.ToString(got[0].MessageId) != aws.ToString(ms[0].MessageId) {
			t.Fatalf("after ChangeMessageVisibility 0, receive got %v", bodies(got))
		}
	})

	t.Run("extends from now", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "cmv"))
		send(t, c, url, "m")
		ms := receive(t, c, url, 1, 0, 1)
		if len(ms) != 1 {
			t.Fatal("no message")
		}
		start := time.Now()
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 2}); err != nil {
			t.Fatal(err)
		}
		m, at := pollVisible(t, c, url, 4*time.Second)
		if m == nil {
			t.Fatal("message not visible within 4s")
		}
		within(t, "visible again", at.Sub(start), 1950*time.Millisecond, 2400*time.Millisecond)
	})

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "cmv"))
		send(t, c, url, "m")
		ms := receive(t, c, url, 1, 0)
		if len(ms) != 1 {
			t.Fatal("no message")
		}
		_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 43201})
		wantErr(t, err, codeInvalidPV, 400, "VisibilityTimeout")
		_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: -1})
		wantErr(t, err, codeInvalidPV, 400, "VisibilityTimeout")
		_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 5})
		wantErrCode(t, err, "ReceiptHandleIsInvalid", `The input receipt handle "garbage" is not a valid receipt handle.`)
		_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
		wantErrCode(t, err, "ReceiptHandleIsInvalid", `The input receipt handle "garbage" is not a valid receipt handle.`)
		// A handle of another queue is not valid here.
		other := createQueue(t, c, uniq(t, "cmv"))
		_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(other), ReceiptHandle: ms[0].ReceiptHandle})
		wantErrCode(t, err, "ReceiptHandleIsInvalid", "")
		// After a delete, changing visibility is refused.
		deleteMsg(t, c, url, ms[0])
		_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 5})
		wantErr(t, err, codeInvalidPV, 400, "for parameter ReceiptHandle is invalid.")
	})
}

// wantErrCode is wantErr without a fixed HTTP status (any 4xx): for errors
// whose status AWS's model and recordings do not pin down.
func wantErrCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	status := httpStatus(err)
	if status < 400 || status > 499 {
		t.Errorf("HTTP status %d, want 4xx", status)
	}
	wantErr(t, err, code, status, msg)
}

func TestStaleReceiptHandleStandard(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "stale"))
	send(t, c, url, "s")
	first := receive(t, c, url, 1, 0, 1)
	if len(first) != 1 {
		t.Fatal("no message")
	}
	m, _ := pollVisible(t, c, url, 3*time.Second) // second receive, new handle
	if m == nil {
		t.Fatal("message not visible again")
	}
	if aws.ToString(m.ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Errorf("second receive returned the same receipt handle")
	}
	// The old handle: success, but the message stays (in flight under the
	// new handle).
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with a stale handle on a standard queue: %v, want success", err)
	}
	if v, inflight, _ := approx(t, c, url); v+inflight != 1 {
		t.Errorf("after DeleteMessage with the stale handle: %d visible, %d in flight; want the message to remain", v, inflight)
	}
	// The current handle deletes it.
	deleteMsg(t, c, url, *m)
	if v, inflight, _ := approx(t, c, url); v+inflight != 0 {
		t.Errorf("after DeleteMessage with the current handle: %d visible, %d in flight", v, inflight)
	}
	// Deleting again with the same handle succeeds too.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Errorf("second DeleteMessage: %v, want success", err)
	}
}

func TestBatchDeleteAndChangeVisibility(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "bdel"))
	for i := 0; i < 4; i++ {
		send(t, c, url, strconv.Itoa(i))
	}
	ms := receiveN(t, c, url, 4, 5*time.Second)

	out, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("d0"), ReceiptHandle: ms[0].ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("not-a-handle")},
		{Id: aws.String("d1"), ReceiptHandle: ms[1].ReceiptHandle},
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "DeleteMessageBatch", idsOf(out.Successful, func(e types.DeleteMessageBatchResultEntry) *string { return e.Id }), out.Failed, "d0,d1", "bad")

	cv, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("c2"), ReceiptHandle: ms[2].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("not-a-handle"), VisibilityTimeout: 0},
		{Id: aws.String("c3"), ReceiptHandle: ms[3].ReceiptHandle, VisibilityTimeout: 0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "ChangeMessageVisibilityBatch", idsOf(cv.Successful, func(e types.ChangeMessageVisibilityBatchResultEntry) *string { return e.Id }), cv.Failed, "c2,c3", "bad")
	again := receiveN(t, c, url, 2, 5*time.Second)
	if !sameSet(bodies(again), bodies(ms[2:])) {
		t.Errorf("after ChangeMessageVisibilityBatch 0 received %q, want %q", bodies(again), bodies(ms[2:]))
	}

	// Whole-request errors of the two batch actions.
	var eleven []types.DeleteMessageBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String("h")})
	}
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: eleven})
	wantErr(t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, "")
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{}})
	wantErr(t, err, "AWS.SimpleQueueService.EmptyBatchRequest", 400, "")
	_, err = c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: aws.String("h")}, {Id: aws.String("x"), ReceiptHandle: aws.String("h")}}})
	wantErr(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, "")
	_, err = c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("x.y"), ReceiptHandle: aws.String("h")}}})
	wantErr(t, err, "AWS.SimpleQueueService.InvalidBatchEntryId", 400, "")
}

func idsOf[E any](es []E, id func(E) *string) []string {
	var out []string
	for _, e := range es {
		out = append(out, aws.ToString(id(e)))
	}
	return out
}

func checkBatch(t *testing.T, op string, ok []string, failed []types.BatchResultErrorEntry, wantOK, wantFailed string) {
	t.Helper()
	if got := joinSorted(ok); got != wantOK {
		t.Errorf("%s Successful = %s, want %s", op, got, wantOK)
	}
	var fids []string
	for _, f := range failed {
		fids = append(fids, aws.ToString(f.Id))
		if aws.ToString(f.Code) != "ReceiptHandleIsInvalid" || !f.SenderFault {
			t.Errorf("%s failed entry %s: Code %q SenderFault %v, want ReceiptHandleIsInvalid true", op, aws.ToString(f.Id), aws.ToString(f.Code), f.SenderFault)
		}
	}
	if got := joinSorted(fids); got != wantFailed {
		t.Errorf("%s Failed = %s, want %s", op, got, wantFailed)
	}
}

func joinSorted(s []string) string {
	out := ""
	for i, x := range sortStrings(s) {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func TestDelaySeconds(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)

	t.Run("queue default", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "delay"), "DelaySeconds", "1")
		start := time.Now()
		send(t, c, url, "late")
		if v, _, delayed := approx(t, c, url); v != 0 || delayed != 1 {
			t.Errorf("while delayed: ApproximateNumberOfMessages %d, Delayed %d; want 0 and 1", v, delayed)
		}
		m, at := pollVisible(t, c, url, 3*time.Second)
		if m == nil {
			t.Fatal("delayed message never arrived")
		}
		within(t, "delayed message visible", at.Sub(start), 950*time.Millisecond, 1350*time.Millisecond)
	})

	t.Run("per message overrides queue", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "delay"), "DelaySeconds", "5")
		start := time.Now()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), DelaySeconds: 1}); err != nil {
			t.Fatal(err)
		}
		ms := receive(t, c, url, 1, 3) // the long poll must wake when the delay ends
		if len(ms) != 1 {
			t.Fatal("message with DelaySeconds=1 not received within 3s")
		}
		within(t, "long poll returned the delayed message", time.Since(start), 950*time.Millisecond, 1350*time.Millisecond)
	})

	t.Run("batch entry delay", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "delay"))
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("now"), MessageBody: aws.String("now")},
			{Id: aws.String("later"), MessageBody: aws.String("later"), DelaySeconds: 1},
		}})
		if err != nil {
			t.Fatal(err)
		}
		ms := receive(t, c, url, 10, 0)
		if len(ms) != 1 || aws.ToString(ms[0].Body) != "now" {
			t.Fatalf("at once received %q, want [now]", bodies(ms))
		}
		m, _ := pollVisible(t, c, url, 3*time.Second)
		if m == nil || aws.ToString(m.Body) != "later" {
			t.Fatalf("the delayed batch entry did not arrive")
		}
	})
}

// TestMessageRetentionPeriod waits for the shortest retention AWS allows
// (60 s); it is skipped with -short.
func TestMessageRetentionPeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 60s for message expiry")
	}
	t.Parallel()
	c := sharedSQS(t)
	url := createQueue(t, c, uniq(t, "ret"), "MessageRetentionPeriod", "60")
	sentA := time.Now()
	send(t, c, url, "in flight at expiry")
	if ms := receive(t, c, url, 1, 0, 120); len(ms) != 1 {
		t.Fatal("no message")
	}
	sentB := time.Now()
	send(t, c, url, "ready at expiry")

	// Just past the retention of the ready message: receive must not
	// deliver it. (A fixed wait: expiry is a point in time.)
	time.Sleep(time.Until(sentB.Add(60*time.Second + 300*time.Millisecond)))
	out, err := c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if err != nil {
		t.Errorf("ReceiveMessage just after the retention period: %v", err)
	} else if len(out.Messages) != 0 {
		t.Errorf("received %q %v after sending with a 60s retention", bodies(out.Messages), time.Since(sentB))
	}
	// Both, the in-flight one too, are gone soon after.
	deadline := sentA.Add(75 * time.Second)
	for {
		v, inflight, _ := approx(t, c, url)
		if v+inflight == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after sending with MessageRetentionPeriod=60: %d visible, %d in flight; want 0", time.Since(sentA), v, inflight)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestPurgeQueue(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	name := uniq(t, "purge")
	url := createQueue(t, c, name)
	for i := 0; i < 3; i++ {
		send(t, c, url, strconv.Itoa(i))
	}
	if ms := receive(t, c, url, 1, 0); len(ms) != 1 {
		t.Fatal("no message")
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the queue to be empty after PurgeQueue", func() bool {
		v, inflight, delayed := approx(t, c, url)
		return v+inflight+delayed == 0
	})
	if ms := receive(t, c, url, 10, 0); len(ms) != 0 {
		t.Errorf("received %q after PurgeQueue", bodies(ms))
	}
	_, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	wantErr(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress", 403, "Only one PurgeQueue operation on "+name+" is allowed every 60 seconds.")
	var pe *types.PurgeQueueInProgress
	if err != nil && !asType(err, &pe) {
		t.Errorf("error %T is not *types.PurgeQueueInProgress", err)
	}
}
