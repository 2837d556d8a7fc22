package test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/herald-dev/herald/internal/bench"
)

// Tests in the sdk_*_test.go files drive Herald with the AWS SDK for Go v2
// (service/sqs v1.27+ speaks AWS JSON 1.0). The SDK itself verifies
// MD5OfMessageBody and MD5OfMessageAttributes on send and receive.

const (
	testAccount = "000000000000"
	testRegion  = "us-east-1"
)

// testHTTPClient is the HTTP client of the SDK clients in tests. It sends
// request bodies from memory, which avoids a race in the SDK that can
// report "use of closed network connection" on a call that succeeded (see
// bench.BufferedTransport).
var testHTTPClient = &http.Client{Transport: bench.BufferedTransport(http.DefaultTransport.(*http.Transport).Clone())}

// newSQS returns an SDK client for srv that never retries, so that every
// error reaches the test.
func newSQS(srv *server) *sqs.Client {
	return sqs.New(sqs.Options{
		HTTPClient:   testHTTPClient,
		Region:       testRegion,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// sharedSQS is the SDK client for the shared server.
func sharedSQS(t *testing.T) *sqs.Client {
	t.Helper()
	return newSQS(sharedServer(t))
}

// createQueue creates a queue with the given attributes (name/value pairs)
// and fails the test on error.
func createQueue(t *testing.T, c *sqs.Client, name string, attrs ...string) string {
	t.Helper()
	in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
	if len(attrs) > 0 {
		in.Attributes = pairs(attrs...)
	}
	out, err := c.CreateQueue(ctxT(t), in)
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func pairs(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func queueAttrs(t *testing.T, c *sqs.Client, url string, names ...types.QueueAttributeName) map[string]string {
	t.Helper()
	if len(names) == 0 {
		names = []types.QueueAttributeName{types.QueueAttributeNameAll}
	}
	out, err := c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return out.Attributes
}

func queueArn(t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	return queueAttrs(t, c, url, types.QueueAttributeNameQueueArn)["QueueArn"]
}

func send(t *testing.T, c *sqs.Client, url, body string) *sqs.SendMessageOutput {
	t.Helper()
	out, err := c.SendMessage(ctxT(t), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	return out
}

// receive does one ReceiveMessage with all system and message attributes.
func receive(t *testing.T, c *sqs.Client, url string, max, wait int32, vis ...int32) []types.Message {
	t.Helper()
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         max,
		WaitTimeSeconds:             wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}
	if len(vis) > 0 {
		in.VisibilityTimeout = vis[0]
	}
	out, err := c.ReceiveMessage(ctxT(t), in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func deleteMsg(t *testing.T, c *sqs.Client, url string, m types.Message) {
	t.Helper()
	if _, err := c.DeleteMessage(ctxT(t), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
}

func bodies(ms []types.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

// approx returns the queue's ApproximateNumberOfMessages (visible) and
// ApproximateNumberOfMessagesNotVisible (in flight).
func approx(t *testing.T, c *sqs.Client, url string) (visible, inflight, delayed int) {
	t.Helper()
	a := queueAttrs(t, c, url, types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed)
	atoi := func(k string) int {
		n, err := strconv.Atoi(a[k])
		if err != nil {
			t.Fatalf("attribute %s = %q: %v", k, a[k], err)
		}
		return n
	}
	return atoi("ApproximateNumberOfMessages"), atoi("ApproximateNumberOfMessagesNotVisible"), atoi("ApproximateNumberOfMessagesDelayed")
}

// wantErr checks that err is an API error with the given code (the legacy
// Query code, which the SDK takes from the x-amzn-query-error header), HTTP
// status and, if msg is not empty, a message containing msg.
func wantErr(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s (HTTP %d)", code, status)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %T %v, want an API error %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Errorf("error code = %q, want %q (message %q)", ae.ErrorCode(), code, ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Errorf("error %v carries no HTTP response", err)
	} else if re.HTTPStatusCode() != status {
		t.Errorf("HTTP status = %d, want %d (code %s)", re.HTTPStatusCode(), status, ae.ErrorCode())
	}
	if msg != "" && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("error message = %q, want it to contain %q", ae.ErrorMessage(), msg)
	}
}

const (
	codeNonExistent = "AWS.SimpleQueueService.NonExistentQueue"
	codeInvalidPV   = "InvalidParameterValue"
)

func TestCreateQueue(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)

	t.Run("idempotent", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "cq")
		u1 := createQueue(t, c, name, "VisibilityTimeout", "45", "DelaySeconds", "2")
		u2 := createQueue(t, c, name, "DelaySeconds", "2", "VisibilityTimeout", "45")
		if u1 != u2 {
			t.Errorf("second CreateQueue returned %q, first %q", u2, u1)
		}
		want := sharedServer(t).URL + "/" + testAccount + "/" + name
		if u1 != want {
			t.Errorf("QueueUrl = %q, want %q", u1, want)
		}
	})

	t.Run("differing attributes", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "cq")
		createQueue(t, c, name, "DelaySeconds", "2")
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: pairs("DelaySeconds", "3")})
		wantErr(t, err, "QueueAlreadyExists", 400, "A queue already exists with the same name and a different value for attribute DelaySeconds")
		var qe *types.QueueNameExists
		if !errors.As(err, &qe) {
			t.Errorf("error %T is not *types.QueueNameExists (JSON __type QueueNameExists)", err)
		}
	})

	t.Run("differing fifo attribute", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "cq") + ".fifo"
		createQueue(t, c, name, "FifoQueue", "true")
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name),
			Attributes: pairs("FifoQueue", "true", "ContentBasedDeduplication", "true")})
		wantErr(t, err, "QueueAlreadyExists", 400, "ContentBasedDeduplication")
	})

	t.Run("names are case-sensitive", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "Case")
		u1 := createQueue(t, c, name)
		u2 := createQueue(t, c, strings.ToLower(name))
		if u1 == u2 {
			t.Fatalf("%q and its lower-case form map to the same queue", name)
		}
	})

	okNames := []struct {
		name  string
		attrs []string
	}{
		{strings.Repeat("a", 80), nil},
		{"A-z_0-9-" + uniq(t, "")[1:], nil},
		{strings.Repeat("f", 75) + ".fifo", []string{"FifoQueue", "true"}},
	}
	for _, tc := range okNames {
		t.Run("valid name "+tc.name[:10], func(t *testing.T) {
			t.Parallel()
			createQueue(t, c, tc.name, tc.attrs...)
		})
	}

	badNames := []struct {
		desc, name string
		attrs      map[string]string
	}{
		{"81 characters", strings.Repeat("b", 81), nil},
		{"dot", "bad.name", nil},
		{"space", "bad name", nil},
		{"slash", "bad/name", nil},
		{"unicode", "bädname", nil},
		{"fifo suffix on a standard queue", "std.fifo", nil},
		{"fifo queue without suffix", "nosuffix", pairs("FifoQueue", "true")},
		{"fifo name of 81 characters", strings.Repeat("g", 76) + ".fifo", pairs("FifoQueue", "true")},
	}
	for _, tc := range badNames {
		t.Run("invalid name/"+tc.desc, func(t *testing.T) {
			t.Parallel()
			_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(tc.name), Attributes: tc.attrs})
			wantErr(t, err, codeInvalidPV, 400, "")
		})
	}

	t.Run("FifoQueue=false on a .fifo name", func(t *testing.T) {
		t.Parallel()
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t, "x") + ".fifo"), Attributes: pairs("FifoQueue", "false")})
		wantErr(t, err, codeInvalidPV, 400, "")
	})

	t.Run("invalid attribute value", func(t *testing.T) {
		t.Parallel()
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t, "x")), Attributes: pairs("VisibilityTimeout", "43201")})
		wantErr(t, err, "InvalidAttributeValue", 400, "")
	})

	t.Run("unknown attribute", func(t *testing.T) {
		t.Parallel()
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t, "x")), Attributes: pairs("Bogus", "1")})
		wantErr(t, err, "InvalidAttributeName", 400, "")
	})

	t.Run("tags", func(t *testing.T) {
		t.Parallel()
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t, "x")), Tags: pairs("team", "a", "env", "qa")})
		if err != nil {
			t.Fatal(err)
		}
		tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: out.QueueUrl})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(tags.Tags) != fmt.Sprint(pairs("team", "a", "env", "qa")) {
			t.Errorf("tags = %v", tags.Tags)
		}
	})
}

func TestGetQueueURL(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	name := uniq(t, "gqu")
	url := createQueue(t, c, name)

	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.QueueUrl) != url {
		t.Errorf("GetQueueUrl = %q, want %q", aws.ToString(out.QueueUrl), url)
	}
	out, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name), QueueOwnerAWSAccountId: aws.String(testAccount)})
	if err != nil || aws.ToString(out.QueueUrl) != url {
		t.Errorf("GetQueueUrl with owner = %v, %v", out, err)
	}

	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name + "-missing")})
	wantErr(t, err, codeNonExistent, 400, "The specified queue does not exist")
	var qe *types.QueueDoesNotExist
	if !errors.As(err, &qe) {
		t.Errorf("error %T is not *types.QueueDoesNotExist", err)
	}
}

func TestListQueues(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	prefix := uniq(t, "lq")
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, createQueue(t, c, fmt.Sprintf("%s-%d", prefix, i)))
	}
	createQueue(t, c, "other-"+prefix)

	out, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(out.QueueUrls, want) {
		t.Errorf("ListQueues(prefix) = %v, want %v", out.QueueUrls, want)
	}
	if out.NextToken != nil {
		t.Errorf("ListQueues without MaxResults returned NextToken %q", *out.NextToken)
	}

	// MaxResults + NextToken: pages of 2, 2, 1.
	var got []string
	var token *string
	var pages []int
	for i := 0; ; i++ {
		if i > 5 {
			t.Fatal("pagination does not end")
		}
		out, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.QueueUrls...)
		pages = append(pages, len(out.QueueUrls))
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if fmt.Sprint(pages) != "[2 2 1]" {
		t.Errorf("page sizes = %v, want [2 2 1]", pages)
	}
	if !sameSet(got, want) || len(got) != len(want) {
		t.Errorf("paginated = %v, want %v", got, want)
	}

	// A page that ends exactly at the last result carries no NextToken.
	out, err = c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix), MaxResults: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.QueueUrls) != 5 || out.NextToken != nil {
		t.Errorf("MaxResults=5 of 5: %d urls, NextToken %v; want 5 and none", len(out.QueueUrls), aws.ToString(out.NextToken))
	}

	out, err = c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("no-such-prefix-" + prefix)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.QueueUrls) != 0 {
		t.Errorf("unknown prefix listed %v", out.QueueUrls)
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestDeleteQueue(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	name := uniq(t, "dq")
	url := createQueue(t, c, name)
	send(t, c, url, "x")
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	wantErr(t, err, codeNonExistent, 400, "")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	wantErr(t, err, codeNonExistent, 400, "")
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	wantErr(t, err, codeNonExistent, 400, "")
	_, err = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	wantErr(t, err, codeNonExistent, 400, "")
	out, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.QueueUrls) != 0 {
		t.Errorf("deleted queue still listed: %v", out.QueueUrls)
	}
}

// TestDeleteQueueRecreateWithin60s pins AWS's rule that a name cannot be
// reused for 60 seconds after DeleteQueue.
func TestDeleteQueueRecreateWithin60s(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	name := uniq(t, "dqr")
	url := createQueue(t, c, name)
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	wantErr(t, err, "AWS.SimpleQueueService.QueueDeletedRecently", 400, "")
}

func TestQueueDoesNotExistEverywhere(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	missing := aws.String(sharedServer(t).URL + "/" + testAccount + "/" + uniq(t, "missing"))
	rh := aws.String("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a")
	calls := map[string]func() error{
		"GetQueueAttributes": func() error {
			_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: missing})
			return err
		},
		"SetQueueAttributes": func() error {
			_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: missing, Attributes: pairs("DelaySeconds", "1")})
			return err
		},
		"SendMessageBatch": func() error {
			_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: missing, Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("a"), MessageBody: aws.String("b")}}})
			return err
		},
		"DeleteMessage": func() error {
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: missing, ReceiptHandle: rh})
			return err
		},
		"ChangeMessageVisibility": func() error {
			_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: missing, ReceiptHandle: rh, VisibilityTimeout: 1})
			return err
		},
		"PurgeQueue": func() error {
			_, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: missing})
			return err
		},
		"ListQueueTags": func() error {
			_, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: missing})
			return err
		},
		"TagQueue": func() error {
			_, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: missing, Tags: pairs("a", "b")})
			return err
		},
		"ListDeadLetterSourceQueues": func() error {
			_, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: missing})
			return err
		},
		"AddPermission": func() error {
			_, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: missing, Label: aws.String("l"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantErr(t, call(), codeNonExistent, http.StatusBadRequest, "")
		})
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "tag"))
	list := func() map[string]string {
		out, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Tags
	}
	if tags := list(); len(tags) != 0 {
		t.Errorf("new queue has tags %v", tags)
	}
	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: pairs("a", "1", "b", "2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: pairs("b", "3", "c", "")}); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(list()), fmt.Sprint(pairs("a", "1", "b", "3", "c", "")); got != want {
		t.Errorf("tags = %s, want %s", got, want)
	}
	if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"a", "nope"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(list()), fmt.Sprint(pairs("b", "3", "c", "")); got != want {
		t.Errorf("after UntagQueue tags = %s, want %s", got, want)
	}
}

// receiveWithin long-polls until n messages arrived or timeout passed.
func receiveN(t *testing.T, c *sqs.Client, url string, n int, timeout time.Duration) []types.Message {
	t.Helper()
	var got []types.Message
	deadline := time.Now().Add(timeout)
	for len(got) < n && time.Now().Before(deadline) {
		got = append(got, receive(t, c, url, 10, 1)...)
	}
	if len(got) < n {
		t.Fatalf("received %d messages within %v, want %d", len(got), timeout, n)
	}
	return got
}

// httpStatus returns the HTTP status of an SDK error, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func asType[T any](err error, target *T) bool { return errors.As(err, target) }
