package test

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func createFIFO(t *testing.T, c *sqs.Client, attrs ...string) string {
	t.Helper()
	return createQueue(t, c, uniq(t, "fifo")+".fifo", append([]string{"FifoQueue", "true"}, attrs...)...)
}

func sendFIFO(t *testing.T, c *sqs.Client, url, group, dedup, body string) *sqs.SendMessageOutput {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := c.SendMessage(ctxT(t), in)
	if err != nil {
		t.Fatalf("SendMessage %q to group %s: %v", body, group, err)
	}
	return out
}

func seqNum(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("SequenceNumber %q is not a number", s)
	}
	return n
}

func TestFIFOOrderingAndGroupLock(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createFIFO(t, c, "ContentBasedDeduplication", "true")
	var last *big.Int
	seqs := map[string]string{}
	for _, m := range []struct{ group, body string }{{"a", "A1"}, {"b", "B1"}, {"a", "A2"}, {"b", "B2"}, {"a", "A3"}} {
		out := sendFIFO(t, c, url, m.group, "", m.body)
		if out.SequenceNumber == nil {
			t.Fatalf("SendMessage to a FIFO queue returned no SequenceNumber")
		}
		n := seqNum(t, *out.SequenceNumber)
		if last != nil && n.Cmp(last) <= 0 {
			t.Errorf("SequenceNumber %s after %s: not increasing", n, last)
		}
		last = n
		seqs[m.body] = *out.SequenceNumber
	}

	first := receive(t, c, url, 1, 0)
	if got := strings.Join(bodies(first), ","); got != "A1" {
		t.Fatalf("first receive = %s, want A1", got)
	}
	a := first[0].Attributes
	sum := sha256.Sum256([]byte("A1"))
	if a["MessageGroupId"] != "a" || a["SequenceNumber"] != seqs["A1"] || a["MessageDeduplicationId"] != hex.EncodeToString(sum[:]) {
		t.Errorf("FIFO attributes = %v; want MessageGroupId a, SequenceNumber %s, MessageDeduplicationId sha256(body)", a, seqs["A1"])
	}
	// Group a is locked while A1 is in flight; group b proceeds in order.
	got := receive(t, c, url, 10, 0)
	if strings.Join(bodies(got), ",") != "B1,B2" {
		t.Fatalf("receive while A1 in flight = %q, want [B1 B2]", bodies(got))
	}
	if more := receive(t, c, url, 10, 0); len(more) != 0 {
		t.Fatalf("receive with both groups in flight = %q, want none", bodies(more))
	}
	// Deleting A1 unlocks group a.
	deleteMsg(t, c, url, first[0])
	if got := receive(t, c, url, 10, 0); strings.Join(bodies(got), ",") != "A2,A3" {
		t.Fatalf("after deleting A1 received %q, want [A2 A3]", bodies(got))
	}
	// Making B1 visible again does not unlock group b while B2 is in
	// flight; making both visible returns group b from B1, in order.
	b1, b2 := got[0].ReceiptHandle, got[1].ReceiptHandle
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: b1, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	if ms := receive(t, c, url, 10, 0); len(ms) != 0 {
		t.Fatalf("received %q while B2 of the same group is in flight, want none", bodies(ms))
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: b2, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again := receive(t, c, url, 10, 0)
	if strings.Join(bodies(again), ",") != "B1,B2" {
		t.Fatalf("after B1 and B2 became visible received %q, want [B1 B2]", bodies(again))
	}
	if again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("B1 ApproximateReceiveCount = %q, want 2", again[0].Attributes["ApproximateReceiveCount"])
	}
}

func TestFIFODeduplication(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)

	t.Run("MessageDeduplicationId", func(t *testing.T) {
		t.Parallel()
		url := createFIFO(t, c)
		o1 := sendFIFO(t, c, url, "g", "d1", "first")
		o2 := sendFIFO(t, c, url, "g", "d1", "second, same dedup id")
		if aws.ToString(o1.MessageId) != aws.ToString(o2.MessageId) {
			t.Errorf("duplicate send returned MessageId %s, original %s; want the same", aws.ToString(o2.MessageId), aws.ToString(o1.MessageId))
		}
		o3 := sendFIFO(t, c, url, "g", "d2", "third")
		if aws.ToString(o3.MessageId) == aws.ToString(o1.MessageId) {
			t.Errorf("different dedup ids got the same MessageId")
		}
		ms := receive(t, c, url, 10, 0)
		if strings.Join(bodies(ms), ",") != "first,third" {
			t.Fatalf("received %q, want [first third]", bodies(ms))
		}
		if ms[0].Attributes["MessageDeduplicationId"] != "d1" {
			t.Errorf("MessageDeduplicationId = %q, want d1", ms[0].Attributes["MessageDeduplicationId"])
		}
		// Within the 5-minute window a deleted message's id still dedupes.
		for _, m := range ms {
			deleteMsg(t, c, url, m)
		}
		sendFIFO(t, c, url, "g", "d1", "fourth, after delete")
		if ms := receive(t, c, url, 10, 0); len(ms) != 0 {
			t.Errorf("dedup id reused after delete within the window delivered %q", bodies(ms))
		}
	})

	t.Run("ContentBasedDeduplication", func(t *testing.T) {
		t.Parallel()
		url := createFIFO(t, c, "ContentBasedDeduplication", "true")
		o1 := sendFIFO(t, c, url, "g", "", "same body")
		o2 := sendFIFO(t, c, url, "g", "", "same body")
		o3 := sendFIFO(t, c, url, "g", "", "other body")
		if aws.ToString(o1.MessageId) != aws.ToString(o2.MessageId) {
			t.Errorf("same body got MessageIds %s and %s; want the same", aws.ToString(o1.MessageId), aws.ToString(o2.MessageId))
		}
		if aws.ToString(o3.MessageId) == aws.ToString(o1.MessageId) {
			t.Errorf("different bodies got the same MessageId")
		}
		// An explicit id overrides the content hash.
		sendFIFO(t, c, url, "g", "explicit", "same body")
		if ms := receive(t, c, url, 10, 0); strings.Join(bodies(ms), ",") != "same body,other body,same body" {
			t.Errorf("received %q, want [same body, other body, same body]", bodies(ms))
		}
	})

	t.Run("DeduplicationScope messageGroup", func(t *testing.T) {
		t.Parallel()
		url := createFIFO(t, c, "DeduplicationScope", "messageGroup", "FifoThroughputLimit", "perMessageGroupId")
		o1 := sendFIFO(t, c, url, "g1", "d", "g1 first")
		o2 := sendFIFO(t, c, url, "g2", "d", "g2 first")
		o3 := sendFIFO(t, c, url, "g1", "d", "g1 duplicate")
		if aws.ToString(o1.MessageId) == aws.ToString(o2.MessageId) {
			t.Errorf("same dedup id in different groups was deduplicated with scope messageGroup")
		}
		if aws.ToString(o3.MessageId) != aws.ToString(o1.MessageId) {
			t.Errorf("same dedup id in the same group: MessageId %s, want %s", aws.ToString(o3.MessageId), aws.ToString(o1.MessageId))
		}
		ms := receive(t, c, url, 10, 0)
		if !sameSet(bodies(ms), []string{"g1 first", "g2 first"}) {
			t.Errorf("received %q, want g1 first and g2 first", bodies(ms))
		}
	})

	t.Run("DeduplicationScope queue", func(t *testing.T) {
		t.Parallel()
		url := createFIFO(t, c)
		o1 := sendFIFO(t, c, url, "g1", "d", "g1")
		o2 := sendFIFO(t, c, url, "g2", "d", "g2")
		if aws.ToString(o1.MessageId) != aws.ToString(o2.MessageId) {
			t.Errorf("same dedup id in another group was not deduplicated with scope queue")
		}
	})

	t.Run("batch", func(t *testing.T) {
		t.Parallel()
		url := createFIFO(t, c)
		out, err := c.SendMessageBatch(ctxT(t), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String("1"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("x")},
			{Id: aws.String("b"), MessageBody: aws.String("2"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("x")},
			{Id: aws.String("c"), MessageBody: aws.String("3"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("y")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 3 {
			t.Fatalf("Successful %d, Failed %+v", len(out.Successful), out.Failed)
		}
		ids := map[string]string{}
		for _, s := range out.Successful {
			ids[aws.ToString(s.Id)] = aws.ToString(s.MessageId)
			if s.SequenceNumber == nil {
				t.Errorf("batch entry %s has no SequenceNumber", aws.ToString(s.Id))
			}
		}
		if ids["a"] != ids["b"] {
			t.Errorf("entries with the same dedup id got MessageIds %s and %s", ids["a"], ids["b"])
		}
		if ms := receive(t, c, url, 10, 0); strings.Join(bodies(ms), ",") != "1,3" {
			t.Errorf("received %q, want [1 3]", bodies(ms))
		}
	})
}

func TestFIFOValidation(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createFIFO(t, c)
	cases := []struct {
		desc string
		in   sqs.SendMessageInput
		code string
		msg  string
	}{
		{"no MessageGroupId", sqs.SendMessageInput{MessageDeduplicationId: aws.String("d")}, "MissingParameter", "The request must contain the parameter MessageGroupId."},
		{"no dedup id without content-based dedup", sqs.SendMessageInput{MessageGroupId: aws.String("g")}, codeInvalidPV,
			"The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"},
		{"per-message DelaySeconds", sqs.SendMessageInput{MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 2}, codeInvalidPV,
			"Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."},
		{"MessageGroupId with a space", sqs.SendMessageInput{MessageGroupId: aws.String("group 123"), MessageDeduplicationId: aws.String("d")}, codeInvalidPV,
			"Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."},
		{"MessageGroupId of 129 characters", sqs.SendMessageInput{MessageGroupId: aws.String(strings.Repeat("a", 129)), MessageDeduplicationId: aws.String("d")}, codeInvalidPV, "MessageGroupId"},
		{"MessageDeduplicationId with a space", sqs.SendMessageInput{MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("group 123")}, codeInvalidPV,
			"Value group 123 for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length."},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			in := tc.in
			in.QueueUrl = aws.String(url)
			in.MessageBody = aws.String("x")
			_, err := c.SendMessage(ctx, &in)
			wantErr(t, err, tc.code, 400, tc.msg)
		})
	}
	t.Run("punctuation is allowed in ids", func(t *testing.T) {
		sendFIFO(t, c, url, `!"#$%&'()*+,-./:;<=>?@[\]^_`+"`{|}~", strings.Repeat("d", 128), "p")
	})
	t.Run("DelaySeconds 0 is accepted", func(t *testing.T) {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("zero")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("batch without MessageGroupId", func(t *testing.T) {
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String("1"), MessageDeduplicationId: aws.String("x")}}})
		wantErr(t, err, codeInvalidPV, 400, "The request must contain the parameter MessageGroupId.")
	})
}

func TestFIFOStaleReceiptHandle(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createFIFO(t, c)
	sendFIFO(t, c, url, "g", "d", "x")
	ms := receive(t, c, url, 1, 0, 1)
	if len(ms) != 1 {
		t.Fatal("no message")
	}
	waitFor(t, 3*time.Second, "the message to become visible again", func() bool {
		v, _, _ := approx(t, c, url)
		return v == 1
	})
	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle})
	wantErr(t, err, codeInvalidPV, 400, "for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
	if v, _, _ := approx(t, c, url); v != 1 {
		t.Errorf("message gone after DeleteMessage with an expired handle")
	}
}

func TestFIFOReceiveRequestAttemptID(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createFIFO(t, c, "ContentBasedDeduplication", "true")
	for _, b := range []string{"1", "2", "3"} {
		sendFIFO(t, c, url, "g"+b, "", b)
	}
	recv := func(attempt string) []types.Message {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 2, ReceiveRequestAttemptId: aws.String(attempt)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	first := recv("attempt-1")
	if len(first) != 2 {
		t.Fatalf("first receive got %d messages, want 2", len(first))
	}
	retry := recv("attempt-1")
	if len(retry) != len(first) {
		t.Fatalf("retry with the same ReceiveRequestAttemptId got %d messages, want %d", len(retry), len(first))
	}
	for i := range first {
		if aws.ToString(retry[i].MessageId) != aws.ToString(first[i].MessageId) {
			t.Errorf("retry message %d = %s, want %s", i, aws.ToString(retry[i].MessageId), aws.ToString(first[i].MessageId))
		}
		if aws.ToString(retry[i].ReceiptHandle) != aws.ToString(first[i].ReceiptHandle) {
			t.Errorf("retry message %d has a different receipt handle", i)
		}
	}
	other := recv("attempt-2")
	if len(other) != 1 || aws.ToString(other[0].Body) != "3" {
		t.Errorf("a new attempt id got %q, want [3]", bodies(other))
	}
}
