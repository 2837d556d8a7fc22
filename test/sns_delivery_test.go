package test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/internal/snsverify"
)

// Tests of SNS deliveries: to SQS queues, and to HTTP endpoints that verify
// every message's signature with internal/snsverify (written from AWS's
// documented algorithm, independently of the signer).

func newSNSClient(srv *server) *sns.Client {
	return sns.New(sns.Options{
		HTTPClient:   testHTTPClient,
		Region:       testRegion,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// endpoint is an HTTP(S) subscriber: it verifies every POST, confirms
// subscriptions by visiting SubscribeURL, and records what it accepted.
type endpoint struct {
	t        *testing.T
	srv      *httptest.Server
	verifier *snsverify.Verifier
	// fail, when set, decides whether to answer a notification with 500.
	fail func(n int) bool

	mu       sync.Mutex
	attempts int                  // notification POSTs seen
	got      []*snsverify.Message // verified notifications accepted
	raw      []string             // raw deliveries accepted
	unsubs   int
	headers  []http.Header
	rejected []error
}

func newEndpoint(t *testing.T) *endpoint {
	ep := &endpoint{t: t, verifier: snsverify.New(snsverify.Options{
		HostPattern: regexp.MustCompile(`^127\.0\.0\.1$`), AllowHTTP: true,
	})}
	ep.srv = httptest.NewServer(http.HandlerFunc(ep.serve))
	t.Cleanup(ep.srv.Close)
	return ep
}

func (ep *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	typ := r.Header.Get("x-amz-sns-message-type")
	if typ == "Notification" {
		ep.mu.Lock()
		ep.attempts++
		n := ep.attempts
		ep.mu.Unlock()
		if ep.fail != nil && ep.fail(n) {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
	}
	if r.Header.Get("x-amz-sns-rawdelivery") == "true" {
		ep.mu.Lock()
		ep.raw = append(ep.raw, string(body))
		ep.headers = append(ep.headers, r.Header.Clone())
		ep.mu.Unlock()
		return
	}
	m, err := ep.verifier.Verify(r.Context(), body)
	if err != nil {
		ep.mu.Lock()
		ep.rejected = append(ep.rejected, err)
		ep.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if m.Type != typ || r.Header.Get("x-amz-sns-message-id") != m.MessageId || r.Header.Get("x-amz-sns-topic-arn") != m.TopicArn {
		http.Error(w, "headers do not match the message", http.StatusBadRequest)
		return
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		resp, err := http.Get(m.SubscribeURL)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			http.Error(w, "confirm failed", http.StatusBadGateway)
		}
	case "UnsubscribeConfirmation":
		ep.mu.Lock()
		ep.unsubs++
		ep.mu.Unlock()
	case "Notification":
		ep.mu.Lock()
		ep.got = append(ep.got, m)
		ep.headers = append(ep.headers, r.Header.Clone())
		ep.mu.Unlock()
	}
}

func (ep *endpoint) notifications() []*snsverify.Message {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]*snsverify.Message(nil), ep.got...)
}

// subscribeHTTP subscribes ep and waits until the subscription is confirmed.
func subscribeHTTP(t *testing.T, c *sns.Client, topicArn string, ep *endpoint, attrs map[string]string) string {
	t.Helper()
	out, err := c.Subscribe(ctxT(t), &sns.SubscribeInput{
		TopicArn: aws.String(topicArn), Protocol: aws.String("http"), Endpoint: aws.String(ep.srv.URL + "/hook"),
		Attributes: attrs, ReturnSubscriptionArn: true,
	})
	if err != nil {
		t.Fatalf("Subscribe http: %v", err)
	}
	arn := aws.ToString(out.SubscriptionArn)
	waitFor(t, 10*time.Second, "the subscription to be confirmed", func() bool {
		a, err := c.GetSubscriptionAttributes(ctxT(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)})
		return err == nil && a.Attributes["PendingConfirmation"] == "false"
	})
	return arn
}

func TestSNSHTTPConfirmThenDeliver(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			t.Parallel()
			srv := sharedServer(t)
			c := newSNSClient(srv)
			topicArn := snsCreateTopic(t, c, uniq(t, "http"), "SignatureVersion", version)
			ep := newEndpoint(t)
			// A subscription is pending until the endpoint confirms it.
			out, err := c.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("http"), Endpoint: aws.String(ep.srv.URL + "/hook")})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.SubscriptionArn); got != "pending confirmation" {
				t.Errorf("SubscriptionArn %q, want \"pending confirmation\"", got)
			}
			var subArn string
			waitFor(t, 10*time.Second, "confirmation", func() bool {
				l, err := c.ListSubscriptionsByTopic(ctxT(t), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicArn)})
				if err != nil || len(l.Subscriptions) != 1 {
					return false
				}
				subArn = aws.ToString(l.Subscriptions[0].SubscriptionArn)
				return subArn != "PendingConfirmation"
			})
			want := map[string]string{}
			for i, subject := range []string{"", "a subject"} {
				in := &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String("message <&> " + string(rune('A'+i))),
					MessageAttributes: map[string]snstypes.MessageAttributeValue{"status": {DataType: aws.String("String"), StringValue: aws.String("APPROVED")}}}
				if subject != "" {
					in.Subject = aws.String(subject)
				}
				res, err := c.Publish(ctxT(t), in)
				if err != nil {
					t.Fatal(err)
				}
				want[aws.ToString(res.MessageId)] = subject
			}
			waitFor(t, 10*time.Second, "two notifications", func() bool { return len(ep.notifications()) == 2 })
			for i, m := range ep.notifications() {
				subject, ok := want[m.MessageId]
				if !ok || m.Subject != subject || m.TopicArn != topicArn || m.SignatureVersion != version {
					t.Errorf("notification %+v, want one of %v with version %s", m, want, version)
				}
				if m.MessageAttributes["status"].Value != "APPROVED" || m.UnsubscribeURL == "" {
					t.Errorf("notification attributes %v, UnsubscribeURL %q", m.MessageAttributes, m.UnsubscribeURL)
				}
				h := ep.headers[i]
				if h.Get("x-amz-sns-subscription-arn") != subArn || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") ||
					h.Get("User-Agent") != "Amazon Simple Notification Service Agent" {
					t.Errorf("headers %v", h)
				}
			}
			if len(ep.rejected) > 0 {
				t.Errorf("the verifier rejected messages: %v", ep.rejected)
			}
			// Unsubscribing sends a signed UnsubscribeConfirmation.
			if _, err := c.Unsubscribe(ctxT(t), &sns.UnsubscribeInput{SubscriptionArn: aws.String(subArn)}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "UnsubscribeConfirmation", func() bool {
				ep.mu.Lock()
				defer ep.mu.Unlock()
				return ep.unsubs == 1
			})
		})
	}
}

func TestSNSHTTPTamperedMessageRejected(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	c := newSNSClient(srv)
	sq := newSQS(srv)
	topicArn := snsCreateTopic(t, c, uniq(t, "tamper"))
	qName := uniq(t, "q")
	qURL := snsQueue(t, sq, qName)
	if _, err := c.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS(qName))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctxT(t), &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String(`{"id":1,"status":"APPROVED"}`)}); err != nil {
		t.Fatal(err)
	}
	body := receiveOne(t, sq, qURL)
	v := snsverify.New(snsverify.Options{HostPattern: regexp.MustCompile(`^127\.0\.0\.1$`), AllowHTTP: true})
	if _, err := v.Verify(ctxT(t), []byte(body)); err != nil {
		t.Fatalf("the envelope delivered to SQS does not verify: %v\n%s", err, body)
	}
	tampered := strings.Replace(body, "APPROVED", "DENIED", 1)
	if _, err := v.Verify(ctxT(t), []byte(tampered)); err == nil {
		t.Errorf("a tampered message verified")
	}
	strict := snsverify.New(snsverify.Options{})
	if _, err := strict.Verify(ctxT(t), []byte(body)); err == nil {
		t.Errorf("a verifier that trusts only AWS's hosts accepted Herald's certificate URL")
	}
}

func receiveOne(t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5, MaxNumberOfMessages: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages, want 1", len(out.Messages))
	}
	return aws.ToString(out.Messages[0].Body)
}

// fastRetries is a delivery policy that retries every second.
func fastRetries(n int) string {
	p := map[string]any{"healthyRetryPolicy": map[string]any{
		"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": n, "backoffFunction": "linear",
	}}
	b, _ := json.Marshal(p)
	return string(b)
}

func TestSNSHTTPRetryThenDeadLetter(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	c := newSNSClient(srv)
	sq := newSQS(srv)
	topicArn := snsCreateTopic(t, c, uniq(t, "retry"))

	// One endpoint fails twice, then accepts: the retries deliver.
	flaky := newEndpoint(t)
	flaky.fail = func(n int) bool { return n <= 2 }
	subscribeHTTP(t, c, topicArn, flaky, map[string]string{"DeliveryPolicy": fastRetries(3)})

	// One always fails: after its retries the message goes to its DLQ.
	broken := newEndpoint(t)
	broken.fail = func(int) bool { return true }
	dlqName := uniq(t, "dlq")
	dlqURL := snsQueue(t, sq, dlqName)
	subscribeHTTP(t, c, topicArn, broken, map[string]string{
		"DeliveryPolicy": fastRetries(1),
		"RedrivePolicy":  `{"deadLetterTargetArn":"` + arnOfSQS(dlqName) + `"}`,
	})

	res, err := c.Publish(ctxT(t), &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String("retry me")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the flaky endpoint to accept after two failures", func() bool { return len(flaky.notifications()) == 1 })
	if m := flaky.notifications()[0]; m.MessageId != aws.ToString(res.MessageId) || m.Message != "retry me" {
		t.Errorf("delivered %+v", m)
	}
	flaky.mu.Lock()
	if flaky.attempts != 3 {
		t.Errorf("flaky endpoint saw %d attempts, want 3", flaky.attempts)
	}
	flaky.mu.Unlock()

	body := receiveOne(t, sq, dlqURL)
	var env struct{ Type, MessageId, Message string }
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.MessageId != aws.ToString(res.MessageId) || env.Message != "retry me" {
		t.Errorf("dead-lettered body %s (%v)", body, err)
	}
	broken.mu.Lock()
	if broken.attempts != 2 {
		t.Errorf("broken endpoint saw %d attempts, want 2 (one retry)", broken.attempts)
	}
	broken.mu.Unlock()
}

func TestSNSRawHTTPDelivery(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	c := newSNSClient(srv)
	topicArn := snsCreateTopic(t, c, uniq(t, "raw"))
	ep := newEndpoint(t)
	subscribeHTTP(t, c, topicArn, ep, map[string]string{"RawMessageDelivery": "true"})
	if _, err := c.Publish(ctxT(t), &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String(`{"raw":true}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a raw delivery", func() bool {
		ep.mu.Lock()
		defer ep.mu.Unlock()
		return len(ep.raw) == 1
	})
	if ep.raw[0] != `{"raw":true}` {
		t.Errorf("raw body %q", ep.raw[0])
	}
}

func TestSNSFanOutToTenQueues(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	c := newSNSClient(srv)
	sq := newSQS(srv)
	topicArn := snsCreateTopic(t, c, uniq(t, "fan"))
	var urls []string
	for i := 0; i < 10; i++ {
		name := uniq(t, "fanq")
		urls = append(urls, snsQueue(t, sq, name))
		attrs := map[string]string{}
		if i%2 == 1 {
			attrs["RawMessageDelivery"] = "true"
		}
		if _, err := c.Subscribe(ctxT(t), &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("sqs"),
			Endpoint: aws.String(arnOfSQS(name)), Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 30
	for i := 0; i < n; i++ {
		if _, err := c.Publish(ctxT(t), &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String("m")}); err != nil {
			t.Fatal(err)
		}
	}
	// Publish returns once the deliveries are durable in the queues.
	for i, u := range urls {
		a := queueAttrs(t, sq, u, "ApproximateNumberOfMessages")
		if a["ApproximateNumberOfMessages"] != "30" {
			t.Errorf("queue %d holds %s messages, want %d", i, a["ApproximateNumberOfMessages"], n)
		}
	}
}

func TestSNSDeliveriesSurviveKill9(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := newSNSClient(srv)
	topicArn := snsCreateTopic(t, c, "crash")
	ep := newEndpoint(t)
	var down sync.Mutex
	failing := true
	ep.fail = func(int) bool {
		down.Lock()
		defer down.Unlock()
		return failing
	}
	subscribeHTTP(t, c, topicArn, ep, map[string]string{"DeliveryPolicy": fastRetries(30)})
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		res, err := c.Publish(ctxT(t), &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String("survive")})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(res.MessageId)] = true
	}
	waitFor(t, 10*time.Second, "failed attempts of every message", func() bool {
		ep.mu.Lock()
		defer ep.mu.Unlock()
		return ep.attempts >= 5
	})
	srv.kill9()
	down.Lock()
	failing = false
	down.Unlock()
	srv.restart(t)
	waitFor(t, 20*time.Second, "every pending delivery after the restart", func() bool { return len(ep.notifications()) >= 5 })
	seen := map[string]bool{}
	for _, m := range ep.notifications() {
		seen[m.MessageId] = true
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("message %s was not delivered after the restart", id)
		}
	}
	// The subscription and topic survived too.
	if _, err := c.GetTopicAttributes(context.Background(), &sns.GetTopicAttributesInput{TopicArn: aws.String(topicArn)}); err != nil {
		t.Errorf("topic after restart: %v", err)
	}
}

// snsQueue creates a queue whose policy lets the account's SNS topics send
// to it, as AWS requires for an SQS subscription (the console writes the
// same statement when it subscribes a queue).
func snsQueue(t *testing.T, c *sqs.Client, name string, attrs ...string) string {
	t.Helper()
	url := createQueue(t, c, name, attrs...)
	allowTopics(t, c, url)
	return url
}

// allowTopics sets the queue's policy: SendMessage by the SNS service for
// any topic of account 000000000000.
func allowTopics(t *testing.T, c *sqs.Client, url string) {
	t.Helper()
	arn := queueArn(t, c, url)
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"topics","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},` +
		`"Action":"sqs:SendMessage","Resource":"` + arn + `","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:000000000000:*"}}}]}`
	if _, err := c.SetQueueAttributes(ctxT(t), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Policy": policy}}); err != nil {
		t.Fatalf("SetQueueAttributes Policy: %v", err)
	}
}
