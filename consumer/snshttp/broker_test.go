package snshttp_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/snsmsg"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/topic"
)

// startBroker runs Herald's broker in process, as `herald serve
// --in-memory` assembles it, on a free port, and returns its base URL.
func startBroker(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	log := slog.New(slog.DiscardHandler)
	engine, err := queue.Open(ctx, queue.Options{Store: memstore.New(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	topics, err := topic.Open(ctx, topic.Options{Queues: engine, Signer: signer(t), BaseURL: base, Logger: log})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	srv := &http.Server{Handler: server.New(server.Config{Engine: engine, Topics: topics, Logger: log})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		topics.Close()
		_ = srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("broker: %v", err)
		}
	})
	return base
}

// TestBrokerEndToEnd subscribes a Server to a topic of Herald's own broker
// with the AWS SDK, lets it confirm the subscription, publishes with both
// signature versions and checks that the verified notifications reach the
// processor.
func TestBrokerEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	broker := startBroker(t)
	client := sns.New(sns.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(broker),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
	created, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	topicArn := aws.ToString(created.TopicArn)

	logs := &logRecorder{}
	rec := newRecorder()
	s, err := snshttp.NewServer(snshttp.Config{
		Listen: "127.0.0.1:0",
		Path:   "/sns",
		// Trust the broker's host and port only.
		CertHostPattern: "^" + regexp.QuoteMeta(broker[len("http://"):]) + "$",
		MatchHostPort:   true,
		AllowHTTPCerts:  true,
		TopicArns:       []string{topicArn},
	}, rec, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})

	sub, err := client.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicArn), Protocol: aws.String("http"), Endpoint: aws.String(s.URL()),
		ReturnSubscriptionArn: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	subArn := aws.ToString(sub.SubscriptionArn)
	confirmed := logs.wait(t, "subscription confirmed")
	if confirmed.attrs["subscription_arn"] != subArn || confirmed.attrs["topic_arn"] != topicArn {
		t.Errorf("confirmed %v, want subscription %s of %s", confirmed.attrs, subArn, topicArn)
	}

	for _, version := range []string{snsmsg.SignatureVersion1, snsmsg.SignatureVersion2} {
		if _, err := client.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
			TopicArn: aws.String(topicArn), AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String(version),
		}); err != nil {
			t.Fatal(err)
		}
		body := `{"order":42,"signature_version":"` + version + `"}`
		pub, err := client.Publish(ctx, &sns.PublishInput{
			TopicArn: aws.String(topicArn), Message: aws.String(body), Subject: aws.String("created"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"kind": {DataType: aws.String("String"), StringValue: aws.String("created")},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := rec.next(t)
		if got.ID != aws.ToString(pub.MessageId) || got.Source != "sns" || got.Attributes["kind"] != "created" {
			t.Errorf("got ID %q, source %q, attributes %v; want ID %q, sns, kind=created",
				got.ID, got.Source, got.Attributes, aws.ToString(pub.MessageId))
		}
		env, err := snsmsg.Parse(got.Body)
		if err != nil {
			t.Fatal(err)
		}
		if env.Message != body || env.TopicArn != topicArn || env.SignatureVersion != version || env.Subject != "created" {
			t.Errorf("envelope %+v, want Message %s of %s signed with version %s", env, body, topicArn, version)
		}
	}
	st := s.Stats()
	if st.Confirmed.Load() != 1 || st.Processed.Load() != 2 || rejected(st) != 0 {
		t.Errorf("Confirmed %d, Processed %d, rejected %d; want 1, 2, 0",
			st.Confirmed.Load(), st.Processed.Load(), rejected(st))
	}
}
