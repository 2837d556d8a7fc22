package listen

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/consumer/sqssource"
	"github.com/herald-dev/herald/internal/nettest"
)

// TestSQSClientKeepsConnections sends rounds of as many concurrent requests
// as 32 pollers have in flight and checks that the later rounds reuse the
// first round's connections (net/http keeps only 2 idle connections per
// host unless told otherwise).
func TestSQSClientKeepsConnections(t *testing.T) {
	const pollers = 32
	srv := nettest.NewRoundServer(t, pollers, "application/x-amz-json-1.0", `{"Attributes":{"VisibilityTimeout":"30"}}`)
	queue := srv.URL + "/000000000000/q"
	src := &SQSSource{Config: sqssource.Config{Concurrency: pollers}, Endpoint: srv.URL, Region: "us-east-1"}
	ctx := context.Background()
	client, err := newSQSClient(ctx, src, queue, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv.Rounds(t, 3, func() error {
		_, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue)})
		return err
	})
}
