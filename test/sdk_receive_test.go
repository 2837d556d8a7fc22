package test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestReceiveSystemAttributes(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	// VisibilityTimeout 0 makes every received message visible again at
	// once. (The SDK does not send a zero VisibilityTimeout on
	// ReceiveMessage, so the queue default is the way to get 0.)
	url := createQueue(t, c, uniq(t, "sysattr"), "VisibilityTimeout", "0")
	before := time.Now().UnixMilli()
	send(t, c, url, "hello")

	ms := receive(t, c, url, 1, 5)
	if len(ms) != 1 {
		t.Fatalf("received %d messages", len(ms))
	}
	a := ms[0].Attributes
	wantKeys := "ApproximateFirstReceiveTimestamp,ApproximateReceiveCount,SenderId,SentTimestamp"
	if got := strings.Join(keys(a), ","); got != wantKeys {
		t.Errorf("system attributes of a standard message = %s, want %s", got, wantKeys)
	}
	if a["SenderId"] == "" {
		t.Errorf("SenderId is empty")
	}
	if a["ApproximateReceiveCount"] != "1" {
		t.Errorf("ApproximateReceiveCount = %q, want 1", a["ApproximateReceiveCount"])
	}
	now := time.Now().UnixMilli()
	for _, k := range []string{"SentTimestamp", "ApproximateFirstReceiveTimestamp"} {
		n, err := strconv.ParseInt(a[k], 10, 64)
		if err != nil || n < before-1000 || n > now+1000 {
			t.Errorf("%s = %q, want epoch milliseconds in [%d, %d]", k, a[k], before, now)
		}
	}
	first := a["ApproximateFirstReceiveTimestamp"]

	// Second receive: the count goes up, the first-receive time stays.
	ms = receive(t, c, url, 1, 5)
	if len(ms) != 1 {
		t.Fatalf("second receive got %d messages", len(ms))
	}
	if got := ms[0].Attributes["ApproximateReceiveCount"]; got != "2" {
		t.Errorf("second ApproximateReceiveCount = %q, want 2", got)
	}
	if got := ms[0].Attributes["ApproximateFirstReceiveTimestamp"]; got != first {
		t.Errorf("ApproximateFirstReceiveTimestamp changed from %s to %s", first, got)
	}

	// Selecting names, with the new and the deprecated parameter.
	for _, in := range []*sqs.ReceiveMessageInput{
		{QueueUrl: aws.String(url), WaitTimeSeconds: 5,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp, types.MessageSystemAttributeNameApproximateReceiveCount}},
		{QueueUrl: aws.String(url), WaitTimeSeconds: 5,
			AttributeNames: []types.QueueAttributeName{"SentTimestamp", "ApproximateReceiveCount"}},
	} {
		out, err := c.ReceiveMessage(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != 1 {
			t.Fatalf("got %d messages", len(out.Messages))
		}
		if got := strings.Join(keys(out.Messages[0].Attributes), ","); got != "ApproximateReceiveCount,SentTimestamp" {
			t.Errorf("selected attributes = %s, want ApproximateReceiveCount,SentTimestamp", got)
		}
	}
	// No names: no attributes.
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	if len(out.Messages[0].Attributes) != 0 {
		t.Errorf("attributes without names: %v", out.Messages[0].Attributes)
	}
	if aws.ToString(out.Messages[0].MD5OfBody) != md5hex("hello") {
		t.Errorf("MD5OfBody = %s", aws.ToString(out.Messages[0].MD5OfBody))
	}
}

func TestReceiveMessageAttributeFilter(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "filter"), "VisibilityTimeout", "0")
	attrs := map[string]types.MessageAttributeValue{
		"color":      strAttr("String", "red"),
		"size":       strAttr("Number", "3"),
		"foo.bar":    strAttr("String", "1"),
		"foo.baz":    binAttr("Binary", []byte("z")),
		"food":       strAttr("String", "pizza"),
		"other.attr": strAttr("String.x", "o"),
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("f"), MessageAttributes: attrs}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"All"}, "color,foo.bar,foo.baz,food,other.attr,size"},
		{[]string{".*"}, "color,foo.bar,foo.baz,food,other.attr,size"},
		{[]string{"color"}, "color"},
		{[]string{"color", "size", "missing"}, "color,size"},
		{[]string{"foo.*"}, "foo.bar,foo.baz"},
		{[]string{"foo.*", "other.attr"}, "foo.bar,foo.baz,other.attr"},
		{[]string{"missing"}, ""},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.names, "+"), func(t *testing.T) {
			// The SDK checks MD5OfMessageAttributes against the returned
			// attributes, so a digest over all of them fails here.
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5, MessageAttributeNames: tc.names})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) != 1 {
				t.Fatalf("got %d messages", len(out.Messages))
			}
			m := out.Messages[0]
			var names []string
			for k := range m.MessageAttributes {
				names = append(names, k)
			}
			got := strings.Join(sortStrings(names), ",")
			if got != tc.want {
				t.Errorf("attributes = %q, want %q", got, tc.want)
			}
			if tc.want == "" && m.MD5OfMessageAttributes != nil {
				t.Errorf("MD5OfMessageAttributes %q with no attributes returned", *m.MD5OfMessageAttributes)
			}
		})
	}
}

func sortStrings(s []string) []string {
	m := map[string]string{}
	for _, x := range s {
		m[x] = x
	}
	return keys(m)
}

func TestReceiveValidation(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "rval"))
	cases := []struct {
		desc string
		in   sqs.ReceiveMessageInput
		msg  string
	}{
		{"MaxNumberOfMessages 11", sqs.ReceiveMessageInput{MaxNumberOfMessages: 11}, "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."},
		{"MaxNumberOfMessages -1", sqs.ReceiveMessageInput{MaxNumberOfMessages: -1}, "MaxNumberOfMessages"},
		{"WaitTimeSeconds 21", sqs.ReceiveMessageInput{WaitTimeSeconds: 21}, "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."},
		{"WaitTimeSeconds -1", sqs.ReceiveMessageInput{WaitTimeSeconds: -1}, "Value -1 for parameter WaitTimeSeconds is invalid."},
		{"VisibilityTimeout 43201", sqs.ReceiveMessageInput{VisibilityTimeout: 43201}, "VisibilityTimeout"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			in := tc.in
			in.QueueUrl = aws.String(url)
			_, err := c.ReceiveMessage(ctx, &in)
			wantErr(t, err, codeInvalidPV, 400, tc.msg)
		})
	}
}

func TestReceiveMaxNumberOfMessages(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "max"))
	var es []types.SendMessageBatchRequestEntry
	for i := 0; i < 10; i++ {
		es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(i))})
	}
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es}); err != nil {
		t.Fatal(err)
	}
	// Default is 1.
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Errorf("default MaxNumberOfMessages returned %d messages, want 1", len(out.Messages))
	}
	got := receiveN(t, c, url, 9, 5*time.Second)
	if len(got) != 9 {
		t.Errorf("received %d more messages, want 9", len(got))
	}
	if v, inflight, _ := approx(t, c, url); v != 0 || inflight != 10 {
		t.Errorf("ApproximateNumberOfMessages %d, NotVisible %d; want 0 and 10", v, inflight)
	}
}

// TestLongPollWakesOnSend checks that a 20-second long poll returns as soon
// as a message is sent, not at its next check.
func TestLongPollWakesOnSend(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	url := createQueue(t, c, uniq(t, "lp"))
	type result struct {
		ms  []types.Message
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		out, err := c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		r := result{err: err, at: time.Now()}
		if out != nil {
			r.ms = out.Messages
		}
		done <- r
	}()
	// There is no signal for "the poll is parked"; give it time to get
	// there. If it had not, it would find the message at once anyway.
	select {
	case r := <-done:
		t.Fatalf("long poll on an empty queue returned after %v: %+v", time.Since(start), r)
	case <-time.After(300 * time.Millisecond):
	}
	send(t, c, url, "wake up")
	sent := time.Now()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		lat := r.at.Sub(sent)
		t.Logf("long poll returned %v after the send completed", lat)
		if len(r.ms) != 1 || aws.ToString(r.ms[0].Body) != "wake up" {
			t.Fatalf("long poll returned %q", bodies(r.ms))
		}
		if lat > 100*time.Millisecond {
			t.Errorf("long poll returned %v after the send, want within 100ms", lat)
		}
	case <-time.After(21 * time.Second):
		t.Fatal("long poll did not return within 21s")
	}
}

func TestLongPollTimesOutEmpty(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	url := createQueue(t, c, uniq(t, "lpe"))
	start := time.Now()
	ms := receive(t, c, url, 10, 1)
	el := time.Since(start)
	if len(ms) != 0 {
		t.Fatalf("received %d messages from an empty queue", len(ms))
	}
	if el < 950*time.Millisecond || el > 1500*time.Millisecond {
		t.Errorf("WaitTimeSeconds=1 returned after %v, want ~1s", el)
	}

	// The queue's ReceiveMessageWaitTimeSeconds is the default wait.
	url2 := createQueue(t, c, uniq(t, "lpe"), "ReceiveMessageWaitTimeSeconds", "1")
	start = time.Now()
	out, err := c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url2)})
	el = time.Since(start)
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("%v %v", out, err)
	}
	if el < 950*time.Millisecond || el > 1500*time.Millisecond {
		t.Errorf("queue ReceiveMessageWaitTimeSeconds=1 returned after %v, want ~1s", el)
	}
}
