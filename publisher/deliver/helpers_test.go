package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/internal/brokertest"
	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/subscription"
)

// newDispatcher returns a Dispatcher whose SQS and SNS clients use the
// broker b through Config.Endpoint, closed when t ends.
func newDispatcher(t testing.TB, b *brokertest.Broker, cfg Config) *Dispatcher {
	t.Helper()
	cfg.AWS = aws.Config{
		Region:      brokertest.Region,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  cfg.AWS.HTTPClient,
	}
	if b != nil {
		cfg.Endpoint = b.URL
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// opCounter is an http.RoundTripper that counts AWS JSON operations by
// their X-Amz-Target and Query ones by Action.
type opCounter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *opCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target")
	if op == "" && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		vals, _ := url.ParseQuery(string(body))
		op = vals.Get("Action")
	}
	c.mu.Lock()
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	c.ops[op]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *opCounter) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

func sqsDest(url string) subscription.Destination {
	return subscription.Destination{Type: subscription.DestinationSQS, URL: url}
}

func snsDest(arn string) subscription.Destination {
	return subscription.Destination{Type: subscription.DestinationSNS, TopicARN: arn}
}

func msg(body string, attrs map[string]string) *format.Message {
	return &format.Message{Body: []byte(body), Attributes: attrs, ContentType: format.ContentTypeJSON}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// asError returns r's *Error, failing the test when r succeeded.
func asError(t testing.TB, r Result) *Error {
	t.Helper()
	var e *Error
	if !errors.As(r.Err, &e) {
		t.Fatalf("result %+v: want an *Error", r)
	}
	return e
}

// mustSucceed fails the test for every failed result.
func mustSucceed(t testing.TB, res []Result) {
	t.Helper()
	for i, r := range res {
		if r.Err != nil {
			t.Errorf("job %d: %v", i, r.Err)
		} else if r.Detail == "" {
			t.Errorf("job %d: empty detail", i)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// receiveAll receives n messages from queueURL with all their attributes,
// deleting each (a FIFO queue holds back a group while one is in flight).
func receiveAll(t testing.TB, c *sqs.Client, queueURL string, n int) []sqstypes.Message {
	t.Helper()
	ctx := testCtx(t)
	var got []sqstypes.Message
	for len(got) < n {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(queueURL),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             1,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("receive after %d of %d: %v", len(got), n, err)
		}
		if len(out.Messages) == 0 && ctx.Err() != nil {
			t.Fatalf("received %d of %d messages", len(got), n)
		}
		for _, m := range out.Messages {
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		got = append(got, out.Messages...)
	}
	return got
}

// stringAttr returns a received message attribute's string value.
func stringAttr(m sqstypes.Message, name string) string {
	v, ok := m.MessageAttributes[name]
	if !ok {
		return "<missing>"
	}
	if aws.ToString(v.DataType) != "String" {
		return fmt.Sprintf("<type %s>", aws.ToString(v.DataType))
	}
	return aws.ToString(v.StringValue)
}

// contextCanceled returns a context that has already ended.
func contextCanceled() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx, cancel
}
