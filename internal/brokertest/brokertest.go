// Package brokertest runs Herald's real broker (SQS and SNS, in-memory
// store) inside a test process on a loopback port, with SDK clients
// pointed at it. It is for the tests of packages that talk to a broker (the
// consumer's sources, the publisher); the black-box tests in test/ run the
// built binary instead.
package brokertest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/internal/bench"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/snsmsg"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/topic"
)

// Account and Region are the broker's.
const (
	Account = "000000000000"
	Region  = "us-east-1"
)

// Broker is a running in-process broker.
type Broker struct {
	// URL is the broker's base URL (http://127.0.0.1:PORT).
	URL string
	// SQS and SNS are SDK clients pointed at it.
	SQS *sqs.Client
	SNS *sns.Client
	// Queues and Topics are the engines, for white-box checks.
	Queues *queue.Engine
	Topics *topic.Engine
	// Signer signs the SNS messages the broker sends.
	Signer *snsmsg.Signer
}

// Start starts a broker that stops when t ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine, err := queue.Open(ctx, queue.Options{Store: memstore.New(), Region: Region, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := snsmsg.Ephemeral()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	topics, err := topic.Open(ctx, topic.Options{
		Queues: engine, Signer: signer, BaseURL: base, Account: Account, Region: Region, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = server.New(server.Config{Engine: engine, Topics: topics, Account: Account, Logger: log})
	srv.Start()
	t.Cleanup(func() {
		engine.Close()
		topics.Close()
		srv.Close()
	})
	cfg := aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(base),
		HTTPClient:   &http.Client{Transport: bench.BufferedTransport(http.DefaultTransport.(*http.Transport).Clone())},
	}
	return &Broker{
		URL:    base,
		SQS:    sqs.NewFromConfig(cfg),
		SNS:    sns.NewFromConfig(cfg),
		Queues: engine, Topics: topics, Signer: signer,
	}
}

// CreateQueue creates a queue with the given attributes and returns its URL.
func (b *Broker) CreateQueue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	out, err := b.SQS.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}
