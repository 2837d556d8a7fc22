package test

// Authentication (SigV4) and authorization (queue policies) of herald serve,
// driven by the AWS SDK for Go v2 over HTTP and HTTPS.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// sqsAs is an SQS client of srv signing with the given keys, over base
// (srv.URL, or its HTTPS address) with client hc.
func sqsAs(base string, hc *http.Client, key, secret string) *sqs.Client {
	return sqs.New(sqs.Options{
		HTTPClient: hc, Region: testRegion, BaseEndpoint: aws.String(base),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""), Retryer: aws.NopRetryer{},
	})
}

func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Errorf("error code %q (%s), want %q", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if got := httpStatus(err); got != status {
		t.Errorf("HTTP status %d, want %d", got, status)
	}
}

func TestAuthRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	ctx := ctxT(t)
	_, err := sqsAs(s.URL, testHTTPClient, testAccessKey, "wrong-secret").ListQueues(ctx, &sqs.ListQueuesInput{})
	wantCode(t, err, "SignatureDoesNotMatch", 403)
	_, err = sqsAs(s.URL, testHTTPClient, "AKIDUNKNOWN", "secret").ListQueues(ctx, &sqs.ListQueuesInput{})
	wantCode(t, err, "InvalidClientTokenId", 403)

	// Unsigned requests, JSON and Query.
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/", nil)
	req.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Type string `json:"__type"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 403 || body.Type != "com.amazonaws.sqs#MissingAuthenticationToken" || resp.Header.Get("x-amzn-query-error") != "MissingAuthenticationToken;Sender" {
		t.Errorf("unsigned JSON request: %d %q %q", resp.StatusCode, body.Type, resp.Header.Get("x-amzn-query-error"))
	}
	resp, err = http.Get(s.URL + "/?Action=ListQueues")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("unsigned Query request: HTTP %d, want 403", resp.StatusCode)
	}
}

// The seed's setup: the customer's queue lets exactly one principal of
// another account send, and only over HTTPS; the customer checks SenderId.
func TestAuthQueuePolicyCrossAccountOverTLS(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, "--data", data, "--tls-listen", "127.0.0.1:0", "--tls-self-signed")
	// serve logs the TLS listener after the plain one, which startServer
	// waited for.
	tlsRE := regexp.MustCompile(`msg="herald listening over TLS" addr=(https://\S+)`)
	m := tlsRE.FindStringSubmatch(s.logs())
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); m = tlsRE.FindStringSubmatch(s.logs()) {
		time.Sleep(20 * time.Millisecond)
	}
	if m == nil {
		t.Fatalf("no TLS listener in the log:\n%s", s.logs())
	}
	pem, err := os.ReadFile(filepath.Join(data, "tls-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	tlsClient := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	ctx := ctxT(t)
	owner := newSQS(s)
	url := createQueue(t, owner, uniq(t, "tasks"))
	partnerHTTP := sqsAs(s.URL, testHTTPClient, otherAccessKey, otherSecretKey)
	partnerTLS := sqsAs(m[1], tlsClient, otherAccessKey, otherSecretKey)
	send := func(c *sqs.Client) error {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"EventDocId":"1"}`)})
		return err
	}

	// No policy: only the owning account.
	wantCode(t, send(partnerTLS), "AccessDenied", 403)

	arn := queueArn(t, owner, url)
	policy := `{"Version":"2012-10-17","Id":"` + arn + `/SQSDefaultPolicy","Statement":[{"Sid":"partner","Effect":"Allow",` +
		`"Principal":{"AWS":"` + otherPrincipal + `"},"Action":"SQS:SendMessage","Resource":"` + arn + `",` +
		`"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`
	if _, err := owner.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Policy": policy}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, send(partnerHTTP), "AccessDenied", 403) // not over secure transport
	if err := send(partnerTLS); err != nil {
		t.Fatalf("the allowed principal over HTTPS: %v", err)
	}
	_, err = partnerTLS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	wantCode(t, err, "AccessDenied", 403) // only SendMessage was granted

	out, err := owner.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"SenderId"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("owner receive: %v, %d messages", err, len(out.Messages))
	}
	if got := out.Messages[0].Attributes["SenderId"]; got != otherPrincipalID {
		t.Errorf("SenderId %q, want the partner's principal id %q", got, otherPrincipalID)
	}

	// An explicit deny wins even for the owner.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Resource":"` + arn + `"}]}`
	if _, err := owner.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Policy": deny}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, send(owner), "AccessDenied", 403)
}

// The publisher's test notification to a queue whose policy does not let
// Herald send reports the destination's refusal.
func TestPublisherTestNotificationRefusedByQueuePolicy(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	partner := sqsAs(s.URL, testHTTPClient, otherAccessKey, otherSecretKey)
	url := createQueue(t, partner, uniq(t, "partner-tasks")) // a queue of the other account, no policy
	sub := createSubscription(t, s, map[string]any{
		"tenant": uniq(t, "requester"), "format": "mturk-event-doc", "destination": map[string]any{"type": "sqs", "url": url},
	})
	var res struct {
		Delivered bool   `json:"delivered"`
		Error     string `json:"error"`
		Code      string `json:"code"`
	}
	api(t, s, "POST", "/v1/subscriptions/"+sub+"/test", nil, &res, http.StatusOK)
	if res.Delivered || res.Code != "AccessDenied" {
		t.Fatalf("test notification: %+v, want AccessDenied", res)
	}
	t.Logf("reported: %s", res.Error)
}

// A topic's policy decides who of other accounts may publish; an invalid
// policy is refused.
func TestAuthTopicPolicyCrossAccount(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	ctx := ctxT(t)
	owner := newSNSClient(s)
	partner := sns.New(sns.Options{HTTPClient: testHTTPClient, Region: testRegion, BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider(otherAccessKey, otherSecretKey, ""), Retryer: aws.NopRetryer{}})
	topic, err := owner.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t, "jobs"))})
	if err != nil {
		t.Fatal(err)
	}
	publish := func() error {
		_, err := partner.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("job-completed")})
		return err
	}
	wantCode(t, publish(), "AuthorizationError", 403) // the default policy: the owner's account only

	arn := aws.ToString(topic.TopicArn)
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + otherAccount + `"},"Action":"SNS:Publish","Resource":"` + arn + `"}]}`
	if _, err := owner.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("Policy"), AttributeValue: aws.String(allow)}); err != nil {
		t.Fatal(err)
	}
	if err := publish(); err != nil {
		t.Fatalf("publish allowed by the topic policy: %v", err)
	}
	_, err = partner.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn})
	wantCode(t, err, "AuthorizationError", 403)

	_, err = owner.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(`{"Statement":[{"Effect":"Allow","Action":"SNS:Publish"}]}`)})
	wantCode(t, err, "InvalidParameter", 400)
}
