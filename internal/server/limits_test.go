package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/store/memstore"
)

// Long polls beyond the cap are refused with RequestThrottled at once;
// short polls are never refused, and a slot frees when a poll ends.
func TestLongPollCap(t *testing.T) {
	ctx := context.Background()
	e, err := queue.Open(ctx, queue.Options{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	srv := httptest.NewServer(server.New(server.Config{Engine: e, MaxLongPolls: 2}))
	t.Cleanup(srv.Close)
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), Retryer: aws.NopRetryer{}})
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("polls")})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 2}); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // both are waiting
	start := time.Now()
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 2})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "RequestThrottled" {
		t.Fatalf("third long poll: %v, want RequestThrottled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the refusal took %v; it must not wait", d)
	}
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 0}); err != nil {
		t.Errorf("a short poll was refused: %v", err)
	}
	wg.Wait()
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1}); err != nil {
		t.Errorf("a long poll after the others ended: %v", err)
	}
}
