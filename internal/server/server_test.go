package server_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/store/memstore"
)

func newClient(t *testing.T) *sqs.Client {
	t.Helper()
	ctx := context.Background()
	e, err := queue.Open(ctx, queue.Options{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	srv := httptest.NewServer(server.New(server.Config{Engine: e}))
	t.Cleanup(srv.Close)
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	cq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("smoke")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: cq.QueueUrl, MessageBody: aws.String("hello"),
		MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: cq.QueueUrl, MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Messages) != 1 || *r.Messages[0].Body != "hello" {
		t.Fatalf("got %+v", r.Messages)
	}
	t.Logf("attrs %v", r.Messages[0].Attributes)
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: cq.QueueUrl, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var qne *types.QueueDoesNotExist
	if !errorsAs(err, &qne) {
		t.Fatalf("want QueueDoesNotExist, got %v", err)
	}
}
