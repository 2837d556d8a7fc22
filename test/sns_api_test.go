package test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// The sns_*_test.go files of this set (api, filter, fifo, python) drive
// Herald's SNS API with the AWS SDK for Go v2 (SNS speaks Query/XML) and
// receive what topics deliver with the SQS client. Expected error codes and
// messages are AWS's, as recorded in /work/shared/reference/aws-errors-sns.md.
// Helpers here are prefixed "sns" so that they do not collide with those of
// sns_delivery_test.go.

// snsShared returns SNS and SQS clients of the shared server.
func snsShared(t *testing.T) (*sns.Client, *sqs.Client) {
	t.Helper()
	srv := sharedServer(t)
	return newSNSClient(srv), newSQS(srv)
}

// snsTopicArn is the ARN Herald gives a topic of the default account.
func snsTopicArn(name string) string {
	return "arn:aws:sns:" + testRegion + ":" + testAccount + ":" + name
}

// snsCreateTopic creates a topic with attributes given as name/value pairs.
func snsCreateTopic(t *testing.T, c *sns.Client, name string, attrs ...string) string {
	t.Helper()
	in := &sns.CreateTopicInput{Name: aws.String(name)}
	if len(attrs) > 0 {
		in.Attributes = pairs(attrs...)
	}
	out, err := c.CreateTopic(ctxT(t), in)
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

// snsSubscribeSQS creates a queue (FIFO when its name ends in .fifo) and
// subscribes it to topicArn with the given subscription attributes (pairs).
// It returns the queue URL and the subscription ARN.
func snsSubscribeSQS(t *testing.T, c *sns.Client, q *sqs.Client, topicArn, queueName string, attrs ...string) (string, string) {
	t.Helper()
	var qurl string
	if strings.HasSuffix(queueName, ".fifo") {
		qurl = snsQueue(t, q, queueName, "FifoQueue", "true")
	} else {
		qurl = snsQueue(t, q, queueName)
	}
	in := &sns.SubscribeInput{
		TopicArn: aws.String(topicArn), Protocol: aws.String("sqs"),
		Endpoint: aws.String(queueArn(t, q, qurl)), ReturnSubscriptionArn: true,
	}
	if len(attrs) > 0 {
		in.Attributes = pairs(attrs...)
	}
	out, err := c.Subscribe(ctxT(t), in)
	if err != nil {
		t.Fatalf("Subscribe %s to %s: %v", queueName, topicArn, err)
	}
	return qurl, aws.ToString(out.SubscriptionArn)
}

// snsPublish publishes message with optional attributes and fails on error.
func snsPublish(t *testing.T, c *sns.Client, topicArn, message string, attrs map[string]snstypes.MessageAttributeValue) string {
	t.Helper()
	out, err := c.Publish(ctxT(t), &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String(message), MessageAttributes: attrs})
	if err != nil {
		t.Fatalf("Publish %.40q: %v", message, err)
	}
	return aws.ToString(out.MessageId)
}

func snsStr(typ, v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
}

func snsBin(v []byte) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("Binary"), BinaryValue: v}
}

// snsErr checks that err is an API error with code, HTTP status and, unless
// msg is empty, exactly the message msg.
func snsErr(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("got no error, want %s (HTTP %d) %q", code, status, msg)
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("got %T %v, want an API error %s", err, err, code)
		return
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
	if msg != "" && ae.ErrorMessage() != msg {
		t.Errorf("error message = %q,\n                   want %q", ae.ErrorMessage(), msg)
	}
}

// snsErrContains is snsErr for a message that must contain part.
func snsErrContains(t *testing.T, err error, code string, status int, part string) {
	t.Helper()
	snsErr(t, err, code, status, "")
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), part) {
		t.Errorf("error message = %q, want it to contain %q", ae.ErrorMessage(), part)
	}
}

// snsCollect long-polls url until it has received n messages (deleting
// each), failing after timeout. It then checks, with one more short poll,
// that no further message is waiting.
func snsCollect(t *testing.T, q *sqs.Client, url string, n int, timeout time.Duration) []sqstypes.Message {
	t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(timeout)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d messages within %v: %q", len(got), n, timeout, bodies(got))
		}
		ms := receive(t, q, url, 10, 1)
		for _, m := range ms {
			deleteMsg(t, q, url, m)
		}
		got = append(got, ms...)
	}
	if len(got) > n {
		t.Fatalf("received %d messages, want %d: %q", len(got), n, bodies(got))
	}
	if extra := receive(t, q, url, 10, 0); len(extra) > 0 {
		t.Fatalf("received %d unexpected extra messages: %q", len(extra), bodies(extra))
	}
	return got
}

// snsEnvelope is an SNS notification as delivered to a queue without raw
// delivery.
type snsEnvelope struct {
	Type              string
	MessageId         string
	SequenceNumber    string
	TopicArn          string
	Subject           string
	Message           string
	Timestamp         string
	SignatureVersion  string
	Signature         string
	SigningCertURL    string
	UnsubscribeURL    string
	MessageAttributes map[string]struct{ Type, Value string }

	keys []string // the JSON keys present, sorted
}

func snsParseEnvelope(t *testing.T, body string) snsEnvelope {
	t.Helper()
	var e snsEnvelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("delivered body is not an SNS JSON envelope: %v\n%s", err, body)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal([]byte(body), &m)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	sort.Strings(e.keys)
	return e
}

// stringToSign is the canonical Notification string AWS signs: the fields
// Message, MessageId, Subject (if present), Timestamp, TopicArn and Type,
// each as name\nvalue\n, in that order.
func (e snsEnvelope) stringToSign() string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", e.Message)
	add("MessageId", e.MessageId)
	if slices.Contains(e.keys, "Subject") {
		add("Subject", e.Subject)
	}
	add("Timestamp", e.Timestamp)
	add("TopicArn", e.TopicArn)
	add("Type", e.Type)
	return b.String()
}

var (
	snsUUIDRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	snsTimestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
)

// snsFetchCert GETs a SigningCertURL and parses the PEM certificate.
func snsFetchCert(t *testing.T, url string) *x509.Certificate {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET SigningCertURL %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET SigningCertURL %s: HTTP %d %s", url, resp.StatusCode, raw)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("SigningCertURL %s did not serve a PEM certificate: %.200q", url, raw)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("SigningCertURL %s: %v", url, err)
	}
	return cert
}

// snsVerifySignature checks e's signature against the certificate at its
// SigningCertURL (SHA1withRSA for version 1, SHA256withRSA for 2).
func snsVerifySignature(t *testing.T, e snsEnvelope) {
	t.Helper()
	cert := snsFetchCert(t, e.SigningCertURL)
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("signing certificate has a %T key, want RSA", cert.PublicKey)
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		t.Fatalf("Signature is not base64: %v", err)
	}
	var h crypto.Hash
	var sum []byte
	switch e.SignatureVersion {
	case "1":
		s := sha1.Sum([]byte(e.stringToSign()))
		h, sum = crypto.SHA1, s[:]
	case "2":
		s := sha256.Sum256([]byte(e.stringToSign()))
		h, sum = crypto.SHA256, s[:]
	default:
		t.Fatalf("SignatureVersion %q", e.SignatureVersion)
	}
	if err := rsa.VerifyPKCS1v15(pub, h, sum, sig); err != nil {
		t.Errorf("signature (version %s) does not verify: %v\nstring to sign:\n%s", e.SignatureVersion, err, e.stringToSign())
	}
}

// --- topics ------------------------------------------------------------------

func TestSNSAPICreateTopic(t *testing.T) {
	t.Parallel()
	c, _ := snsShared(t)
	ctx := ctxT(t)

	t.Run("idempotent", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "tp")
		a1 := snsCreateTopic(t, c, name, "DisplayName", "shown")
		if a1 != snsTopicArn(name) {
			t.Errorf("TopicArn = %q, want %q", a1, snsTopicArn(name))
		}
		if a2 := snsCreateTopic(t, c, name, "DisplayName", "shown"); a2 != a1 {
			t.Errorf("second CreateTopic = %q, want %q", a2, a1)
		}
		if a3 := snsCreateTopic(t, c, name); a3 != a1 {
			t.Errorf("CreateTopic without attributes = %q, want %q", a3, a1)
		}
	})

	t.Run("different attributes", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "tp")
		snsCreateTopic(t, c, name, "DisplayName", "one")
		_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: pairs("DisplayName", "two")})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
	})

	t.Run("different tags", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "tp")
		tag := func(v string) []snstypes.Tag { return []snstypes.Tag{{Key: aws.String("team"), Value: aws.String(v)}} }
		if _, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: tag("a")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: tag("a")}); err != nil {
			t.Errorf("CreateTopic with the same tags: %v", err)
		}
		_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: tag("b")})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Tags Reason: Topic already exists with different tags")
	})

	t.Run("bad names", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"has space", "dot.ted", "slash/name", "colon:name", "ünïcode", strings.Repeat("a", 257), ".fifo"} {
			_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
			snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Topic Name")
		}
		// The longest name is fine.
		long := "L" + strings.Repeat("x", 250) + fmt.Sprintf("%05d", time.Now().UnixNano()%1e5)
		if got := snsCreateTopic(t, c, long); got != snsTopicArn(long) {
			t.Errorf("256-character name: TopicArn %q", got)
		}
	})

	t.Run("fifo names", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "tp") + ".fifo"
		arn := snsCreateTopic(t, c, name, "FifoTopic", "true")
		if arn != snsTopicArn(name) {
			t.Errorf("FIFO TopicArn = %q", arn)
		}
		// A .fifo name needs FifoTopic=true: without it, it is a standard
		// topic's name, which may not contain '.'.
		_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t, "tp") + ".fifo")})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Topic Name")
		// FifoTopic=true needs the .fifo suffix.
		_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t, "tp")), Attributes: pairs("FifoTopic", "true")})
		snsErrContains(t, err, "InvalidParameter", 400, "Fifo Topic names must end with .fifo")
		// ContentBasedDeduplication is for FIFO topics only.
		_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t, "tp")), Attributes: pairs("ContentBasedDeduplication", "true")})
		snsErr(t, err, "InvalidParameter", 400, "")
	})

	t.Run("unknown attribute", func(t *testing.T) {
		t.Parallel()
		_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t, "tp")), Attributes: pairs("InvalidKey", "x")})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Attributes Reason: Invalid attribute name: InvalidKey")
	})
}

func TestSNSAPIDeleteTopic(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	name := uniq(t, "tp")
	arn := snsCreateTopic(t, c, name)
	qurl, sub := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))

	if _, err := c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	_, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	snsErr(t, err, "NotFound", 404, "Topic does not exist")
	_, err = c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
	snsErr(t, err, "NotFound", 404, "Subscription does not exist")
	_, err = c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	snsErr(t, err, "NotFound", 404, "Topic does not exist")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	snsErr(t, err, "NotFound", 404, "Topic does not exist")
	for _, s := range snsAllSubscriptions(t, c) {
		if aws.ToString(s.SubscriptionArn) == sub {
			t.Errorf("ListSubscriptions still lists %s after DeleteTopic", sub)
		}
	}
	// Deleting again succeeds, as in SNS.
	if _, err := c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Errorf("second DeleteTopic: %v", err)
	}
	// A topic created again under the name starts without subscriptions.
	snsCreateTopic(t, c, name)
	out, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Subscriptions) != 0 {
		t.Errorf("recreated topic has subscriptions %v", out.Subscriptions)
	}
	snsPublish(t, c, arn, "after recreate", nil)
	if ms := receive(t, q, qurl, 10, 0); len(ms) != 0 {
		t.Errorf("the old subscription's queue received %q", bodies(ms))
	}
	// A malformed ARN is a parameter error.
	_, err = c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String("not-an-arn")})
	snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
}

func TestSNSAPIListTopicsPagination(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--in-memory")
	c := newSNSClient(srv)
	ctx := ctxT(t)
	const n = 234
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		want[snsCreateTopic(t, c, fmt.Sprintf("page-%03d", i))] = true
	}
	got := map[string]bool{}
	var sizes []int
	var token *string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatalf("ListTopics did not end after %d pages", pages)
		}
		out, err := c.ListTopics(ctx, &sns.ListTopicsInput{NextToken: token})
		if err != nil {
			t.Fatalf("ListTopics page %d: %v", pages+1, err)
		}
		sizes = append(sizes, len(out.Topics))
		for _, tp := range out.Topics {
			a := aws.ToString(tp.TopicArn)
			if got[a] {
				t.Errorf("topic %s listed twice", a)
			}
			got[a] = true
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		token = out.NextToken
	}
	if !slices.Equal(sizes, []int{100, 100, 34}) {
		t.Errorf("page sizes = %v, want [100 100 34]", sizes)
	}
	if len(got) != n {
		t.Errorf("listed %d topics, want %d", len(got), n)
	}
	for a := range want {
		if !got[a] {
			t.Errorf("topic %s not listed", a)
		}
	}
	// The paginator of the SDK walks the same pages.
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	total := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += len(out.Topics)
	}
	if total != n {
		t.Errorf("paginator listed %d topics, want %d", total, n)
	}
}

func TestSNSAPITopicAttributes(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
		out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		a := out.Attributes
		for k, v := range map[string]string{
			"TopicArn": arn, "Owner": testAccount, "DisplayName": "",
			"SubscriptionsConfirmed": "1", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0",
		} {
			if got, ok := a[k]; !ok || got != v {
				t.Errorf("attribute %s = %q (present %v), want %q", k, got, ok, v)
			}
		}
		for _, k := range []string{"FifoTopic", "ContentBasedDeduplication", "DeliveryPolicy"} {
			if v, ok := a[k]; ok {
				t.Errorf("standard topic has attribute %s = %q", k, v)
			}
		}
		var policy struct {
			Version   string
			Statement []struct {
				Sid, Effect, Resource string
				Action                []string
				Condition             map[string]map[string]string
			}
		}
		if err := json.Unmarshal([]byte(a["Policy"]), &policy); err != nil {
			t.Fatalf("Policy %q: %v", a["Policy"], err)
		}
		if policy.Version != "2008-10-17" || len(policy.Statement) != 1 {
			t.Fatalf("default Policy = %s", a["Policy"])
		}
		st := policy.Statement[0]
		if st.Sid != "__default_statement_ID" || st.Effect != "Allow" || st.Resource != arn ||
			!slices.Contains(st.Action, "SNS:Publish") || !slices.Contains(st.Action, "SNS:Subscribe") ||
			st.Condition["StringEquals"]["AWS:SourceOwner"] != testAccount {
			t.Errorf("default Policy statement = %+v", st)
		}
		var edp struct {
			HTTP struct {
				DefaultHealthyRetryPolicy struct {
					MinDelayTarget, MaxDelayTarget, NumRetries int
					BackoffFunction                            string
				}
				DisableSubscriptionOverrides bool
			} `json:"http"`
		}
		if err := json.Unmarshal([]byte(a["EffectiveDeliveryPolicy"]), &edp); err != nil {
			t.Fatalf("EffectiveDeliveryPolicy %q: %v", a["EffectiveDeliveryPolicy"], err)
		}
		r := edp.HTTP.DefaultHealthyRetryPolicy
		if r.MinDelayTarget != 20 || r.MaxDelayTarget != 20 || r.NumRetries != 3 || r.BackoffFunction != "linear" || edp.HTTP.DisableSubscriptionOverrides {
			t.Errorf("EffectiveDeliveryPolicy = %s, want AWS's default (3 retries 20 s apart, linear)", a["EffectiveDeliveryPolicy"])
		}
	})

	t.Run("fifo defaults", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp")+".fifo", "FifoTopic", "true")
		out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Attributes["FifoTopic"] != "true" || out.Attributes["ContentBasedDeduplication"] != "false" {
			t.Errorf("FIFO topic attributes FifoTopic=%q ContentBasedDeduplication=%q, want true, false",
				out.Attributes["FifoTopic"], out.Attributes["ContentBasedDeduplication"])
		}
	})

	t.Run("set and get", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		dp := `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":10,"numRetries":4,"backoffFunction":"exponential"},"disableSubscriptionOverrides":true}}`
		policy := `{"Version":"2012-10-17","Statement":[{"Sid":"mine","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"` + arn + `"}]}`
		for _, kv := range [][2]string{
			{"DisplayName", "My Topic"}, {"DeliveryPolicy", dp}, {"SignatureVersion", "2"},
			{"TracingConfig", "Active"}, {"Policy", policy},
		} {
			if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
				TopicArn: aws.String(arn), AttributeName: aws.String(kv[0]), AttributeValue: aws.String(kv[1]),
			}); err != nil {
				t.Errorf("SetTopicAttributes %s: %v", kv[0], err)
			}
		}
		out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		a := out.Attributes
		if a["DisplayName"] != "My Topic" || a["SignatureVersion"] != "2" || a["TracingConfig"] != "Active" {
			t.Errorf("DisplayName=%q SignatureVersion=%q TracingConfig=%q", a["DisplayName"], a["SignatureVersion"], a["TracingConfig"])
		}
		if !jsonEqual(a["DeliveryPolicy"], dp) {
			t.Errorf("DeliveryPolicy = %s, want %s", a["DeliveryPolicy"], dp)
		}
		if !jsonEqual(a["Policy"], policy) {
			t.Errorf("Policy = %s, want %s", a["Policy"], policy)
		}
		var edp struct {
			HTTP struct {
				DefaultHealthyRetryPolicy    struct{ MinDelayTarget, MaxDelayTarget, NumRetries int }
				DisableSubscriptionOverrides bool
			} `json:"http"`
		}
		_ = json.Unmarshal([]byte(a["EffectiveDeliveryPolicy"]), &edp)
		if r := edp.HTTP.DefaultHealthyRetryPolicy; r.MinDelayTarget != 5 || r.MaxDelayTarget != 10 || r.NumRetries != 4 || !edp.HTTP.DisableSubscriptionOverrides {
			t.Errorf("EffectiveDeliveryPolicy = %s does not reflect the DeliveryPolicy set", a["EffectiveDeliveryPolicy"])
		}
	})

	t.Run("bad values", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		for _, kv := range [][2]string{
			{"SignatureVersion", "3"},
			{"TracingConfig", "Sometimes"},
			{"DeliveryPolicy", "{not json"},
			{"DeliveryPolicy", `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":10,"numRetries":3}}}`},
			{"Policy", "{not json"},
			{"ContentBasedDeduplication", "true"}, // standard topic
			{"FifoTopic", "true"},                 // not settable
		} {
			_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
				TopicArn: aws.String(arn), AttributeName: aws.String(kv[0]), AttributeValue: aws.String(kv[1]),
			})
			if err == nil {
				t.Errorf("SetTopicAttributes %s=%.30q succeeded", kv[0], kv[1])
				continue
			}
			snsErr(t, err, "InvalidParameter", 400, "")
		}
	})

	t.Run("unknown attribute", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
			TopicArn: aws.String(arn), AttributeName: aws.String("InvalidAttribute"), AttributeValue: aws.String("x"),
		})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: AttributeName")
	})

	t.Run("missing topic", func(t *testing.T) {
		t.Parallel()
		arn := snsTopicArn(uniq(t, "missing"))
		_, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
		snsErr(t, err, "NotFound", 404, "Topic does not exist")
		_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
			TopicArn: aws.String(arn), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("x"),
		})
		snsErr(t, err, "NotFound", 404, "Topic does not exist")
	})
}

func TestSNSAPITags(t *testing.T) {
	t.Parallel()
	c, _ := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	list := func() string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource: %v", err)
		}
		var s []string
		for _, tg := range out.Tags {
			s = append(s, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		sort.Strings(s)
		return strings.Join(s, ",")
	}
	tag := func(kv ...string) []snstypes.Tag {
		var ts []snstypes.Tag
		for i := 0; i+1 < len(kv); i += 2 {
			ts = append(ts, snstypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return ts
	}
	// ok fails on err, except that a response the SDK cannot decode (no
	// <TagResourceResult/> element) is reported and the test goes on, since
	// the call did take effect.
	ok := func(op string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		if strings.Contains(err.Error(), op+"Result node not found") {
			t.Errorf("%s: the Go SDK cannot decode the response, which lacks its empty <%sResult/> element: %v", op, op, err)
			return
		}
		t.Fatalf("%s: %v", op, err)
	}
	if got := list(); got != "" {
		t.Errorf("new topic tags = %q, want none", got)
	}
	_, err := c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: tag("team", "core", "env", "dev")})
	ok("TagResource", err)
	_, err = c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: tag("env", "prod", "cost", "42")})
	ok("TagResource", err)
	if got := list(); got != "cost=42,env=prod,team=core" {
		t.Errorf("tags = %q, want cost=42,env=prod,team=core", got)
	}
	_, err = c.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"cost", "absent"}})
	ok("UntagResource", err)
	if got := list(); got != "env=prod,team=core" {
		t.Errorf("tags after untag = %q, want env=prod,team=core", got)
	}
	// Tags given to CreateTopic are the topic's.
	arn2 := ""
	if out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniq(t, "tp")), Tags: tag("a", "1")}); err != nil {
		t.Fatal(err)
	} else {
		arn2 = aws.ToString(out.TopicArn)
	}
	out, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn2)})
	if err != nil || len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "a" || aws.ToString(out.Tags[0].Value) != "1" {
		t.Errorf("CreateTopic tags listed as %+v, %v", out, err)
	}
	// Over 50 tags.
	var many []string
	for i := 0; i < 51; i++ {
		many = append(many, fmt.Sprintf("k%d", i), "v")
	}
	_, err = c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: tag(many...)})
	snsErr(t, err, "TagLimitExceeded", 400, "")
	// A missing topic.
	missing := snsTopicArn(uniq(t, "missing"))
	_, err = c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(missing)})
	snsErr(t, err, "ResourceNotFound", 404, "")
	_, err = c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(missing), Tags: tag("a", "b")})
	snsErr(t, err, "ResourceNotFound", 404, "")
}

func TestSNSAPIPermissions(t *testing.T) {
	t.Parallel()
	c, _ := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	statements := func() map[string]map[string]any {
		t.Helper()
		out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Statement []map[string]any }
		if err := json.Unmarshal([]byte(out.Attributes["Policy"]), &p); err != nil {
			t.Fatalf("Policy %q: %v", out.Attributes["Policy"], err)
		}
		m := map[string]map[string]any{}
		for _, s := range p.Statement {
			m[fmt.Sprint(s["Sid"])] = s
		}
		return m
	}
	if _, err := c.AddPermission(ctx, &sns.AddPermissionInput{
		TopicArn: aws.String(arn), Label: aws.String("pub"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"},
	}); err != nil {
		t.Fatalf("AddPermission: %v", err)
	}
	if _, err := c.AddPermission(ctx, &sns.AddPermissionInput{
		TopicArn: aws.String(arn), Label: aws.String("two"),
		AWSAccountId: []string{"111122223333", "444455556666"}, ActionName: []string{"Publish", "Subscribe"},
	}); err != nil {
		t.Fatalf("AddPermission: %v", err)
	}
	st := statements()
	if _, ok := st["__default_statement_ID"]; !ok || len(st) != 3 {
		t.Fatalf("statements after AddPermission = %v, want the default and pub, two", keysOf(st))
	}
	pub := st["pub"]
	b, _ := json.Marshal(pub)
	want := `{"Sid":"pub","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"SNS:Publish","Resource":"` + arn + `"}`
	if !jsonEqual(string(b), want) {
		t.Errorf("statement pub = %s,\nwant %s", b, want)
	}
	b, _ = json.Marshal(st["two"])
	want = `{"Sid":"two","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root"]},"Action":["SNS:Publish","SNS:Subscribe"],"Resource":"` + arn + `"}`
	if !jsonEqual(string(b), want) {
		t.Errorf("statement two = %s,\nwant %s", b, want)
	}

	_, err := c.AddPermission(ctx, &sns.AddPermissionInput{
		TopicArn: aws.String(arn), Label: aws.String("pub"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"},
	})
	snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Statement already exists")
	_, err = c.AddPermission(ctx, &sns.AddPermissionInput{
		TopicArn: aws.String(arn), Label: aws.String("sqs"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"SendMessage"},
	})
	snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Policy statement action out of service scope!")

	if _, err := c.RemovePermission(ctx, &sns.RemovePermissionInput{TopicArn: aws.String(arn), Label: aws.String("pub")}); err != nil {
		t.Fatalf("RemovePermission: %v", err)
	}
	if got := keysOf(statements()); !slices.Equal(got, []string{"__default_statement_ID", "two"}) {
		t.Errorf("statements after RemovePermission = %v", got)
	}
	_, err = c.AddPermission(ctx, &sns.AddPermissionInput{
		TopicArn: aws.String(snsTopicArn(uniq(t, "missing"))), Label: aws.String("x"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"},
	})
	snsErr(t, err, "NotFound", 404, "Topic does not exist")
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// --- subscriptions -------------------------------------------------------------

func snsAllSubscriptions(t *testing.T, c *sns.Client) []snstypes.Subscription {
	t.Helper()
	var all []snstypes.Subscription
	p := sns.NewListSubscriptionsPaginator(c, &sns.ListSubscriptionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatalf("ListSubscriptions: %v", err)
		}
		all = append(all, out.Subscriptions...)
	}
	return all
}

func TestSNSAPISubscribe(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)

	t.Run("sqs confirmed and idempotent", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		qname := uniq(t, "q")
		_, sub := snsSubscribeSQS(t, c, q, arn, qname)
		if !strings.HasPrefix(sub, arn+":") || !snsUUIDRE.MatchString(strings.TrimPrefix(sub, arn+":")) {
			t.Errorf("SubscriptionArn = %q, want %s:<uuid>", sub, arn)
		}
		// Without ReturnSubscriptionArn an SQS subscription's ARN is
		// returned too: it is confirmed at once.
		for i := 0; i < 2; i++ {
			out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS(qname))})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.SubscriptionArn) != sub {
				t.Errorf("repeated Subscribe = %q, want %q", aws.ToString(out.SubscriptionArn), sub)
			}
		}
		// Same endpoint, different attributes.
		_, err := c.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS(qname)),
			Attributes: pairs("RawMessageDelivery", "true"),
		})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
		ga, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
		if err != nil {
			t.Fatal(err)
		}
		if ga.Attributes["PendingConfirmation"] != "false" || ga.Attributes["ConfirmationWasAuthenticated"] != "true" {
			t.Errorf("SQS subscription PendingConfirmation=%q ConfirmationWasAuthenticated=%q, want false, true",
				ga.Attributes["PendingConfirmation"], ga.Attributes["ConfirmationWasAuthenticated"])
		}
	})

	t.Run("unsupported protocols", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		for _, p := range [][2]string{
			{"lambda", "arn:aws:lambda:us-east-1:000000000000:function:f"},
			{"email", "someone@example.com"},
			{"email-json", "someone@example.com"},
			{"sms", "+15555550100"},
			{"application", "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/1"},
			{"firehose", "arn:aws:firehose:us-east-1:000000000000:deliverystream/s"},
			{"foo", "bar"},
		} {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String(p[0]), Endpoint: aws.String(p[1])})
			snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Amazon SNS does not support this protocol string: "+p[0])
		}
	})

	t.Run("bad endpoints", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		for _, ep := range []string{"not-an-arn", "https://sqs.us-east-1.amazonaws.com/000000000000/q", "arn:aws:sns:us-east-1:000000000000:q"} {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(ep)})
			snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: SQS endpoint ARN")
		}
	})

	t.Run("fifo queue on a standard topic", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		qurl := snsQueue(t, q, uniq(t, "q")+".fifo", "FifoQueue", "true")
		_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(queueArn(t, q, qurl))})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	})

	t.Run("queue that does not exist", func(t *testing.T) {
		t.Parallel()
		// SNS does not check that the queue exists; publishing still
		// succeeds and reaches the other subscribers.
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS(uniq(t, "absent")))}); err != nil {
			t.Fatalf("Subscribe a queue that does not exist: %v", err)
		}
		qurl, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"), "RawMessageDelivery", "true")
		snsPublish(t, c, arn, "still delivered", nil)
		if got := bodies(snsCollect(t, q, qurl, 1, 5*time.Second)); got[0] != "still delivered" {
			t.Errorf("got %q", got)
		}
	})

	t.Run("confirm an sqs subscription", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
		_, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String("not-a-token")})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: Token")
		_, err = c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(snsTopicArn(uniq(t, "missing"))), Token: aws.String("x")})
		snsErr(t, err, "NotFound", 404, "Topic does not exist")
	})

	t.Run("missing topic", func(t *testing.T) {
		t.Parallel()
		_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(snsTopicArn(uniq(t, "missing"))), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS("q"))})
		snsErr(t, err, "NotFound", 404, "Topic does not exist")
	})

	t.Run("bad attributes", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateTopic(t, c, uniq(t, "tp"))
		sub := func(k, v string) error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{
				TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS(uniq(t, "q"))),
				Attributes: pairs(k, v),
			})
			return err
		}
		snsErr(t, sub("RawMessageDelivery", "wrongvalue"), "InvalidParameter", 400,
			"Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.")
		// AWS's recorded wording of these two comes from
		// SetSubscriptionAttributes; Subscribe may add "Attributes Reason: ".
		snsErrContains(t, sub("RedrivePolicy", `{"deadLetterTargetArn":"nope"}`), "InvalidParameter", 400,
			"RedrivePolicy: deadLetterTargetArn is an invalid arn")
		snsErrContains(t, sub("FilterPolicyScope", "RandomValue"), "InvalidParameter", 400,
			"FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes")
	})
}

// arnOfSQS is the ARN of a queue of the default account (the queue need not
// exist).
func arnOfSQS(name string) string {
	return "arn:aws:sqs:" + testRegion + ":" + testAccount + ":" + name
}

func TestSNSAPIListSubscriptions(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	other := snsCreateTopic(t, c, uniq(t, "tp"))
	want := map[string]string{} // subscription ARN -> queue ARN
	for i := 0; i < 3; i++ {
		name := uniq(t, "q")
		_, sub := snsSubscribeSQS(t, c, q, arn, name)
		want[sub] = arnOfSQS(name)
	}
	_, otherSub := snsSubscribeSQS(t, c, q, other, uniq(t, "q"))

	out, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if out.NextToken != nil && *out.NextToken != "" {
		t.Errorf("NextToken = %q on a single page", *out.NextToken)
	}
	if len(out.Subscriptions) != 3 {
		t.Fatalf("ListSubscriptionsByTopic listed %d subscriptions, want 3: %+v", len(out.Subscriptions), out.Subscriptions)
	}
	for _, s := range out.Subscriptions {
		sa := aws.ToString(s.SubscriptionArn)
		if want[sa] == "" {
			t.Errorf("unexpected subscription %s", sa)
			continue
		}
		if aws.ToString(s.Endpoint) != want[sa] || aws.ToString(s.Protocol) != "sqs" || aws.ToString(s.TopicArn) != arn || aws.ToString(s.Owner) != testAccount {
			t.Errorf("subscription %s = endpoint %q protocol %q topic %q owner %q", sa,
				aws.ToString(s.Endpoint), aws.ToString(s.Protocol), aws.ToString(s.TopicArn), aws.ToString(s.Owner))
		}
	}
	found := 0
	for _, s := range snsAllSubscriptions(t, c) {
		sa := aws.ToString(s.SubscriptionArn)
		if want[sa] != "" || sa == otherSub {
			found++
		}
	}
	if found != 4 {
		t.Errorf("ListSubscriptions lists %d of this test's 4 subscriptions", found)
	}
	_, err = c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(snsTopicArn(uniq(t, "missing")))})
	snsErr(t, err, "NotFound", 404, "Topic does not exist")
}

func TestSNSAPIListSubscriptionsPagination(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--in-memory")
	c := newSNSClient(srv)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, "paged")
	const n = 150
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		// SQS subscriptions to queues that need not exist.
		out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String(arnOfSQS(fmt.Sprintf("q%03d", i)))})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.SubscriptionArn)] = true
	}
	for _, byTopic := range []bool{false, true} {
		got := map[string]bool{}
		var sizes []int
		var token *string
		for {
			var subs []snstypes.Subscription
			var next *string
			if byTopic {
				out, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn), NextToken: token})
				if err != nil {
					t.Fatal(err)
				}
				subs, next = out.Subscriptions, out.NextToken
			} else {
				out, err := c.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{NextToken: token})
				if err != nil {
					t.Fatal(err)
				}
				subs, next = out.Subscriptions, out.NextToken
			}
			sizes = append(sizes, len(subs))
			for _, s := range subs {
				got[aws.ToString(s.SubscriptionArn)] = true
			}
			if next == nil || *next == "" || len(sizes) > 5 {
				break
			}
			token = next
		}
		if !slices.Equal(sizes, []int{100, 50}) || len(got) != n {
			t.Errorf("byTopic=%v: page sizes %v, %d distinct subscriptions; want [100 50], %d", byTopic, sizes, len(got), n)
		}
	}
}

func TestSNSAPISubscriptionAttributes(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	qname := uniq(t, "q")
	_, sub := snsSubscribeSQS(t, c, q, arn, qname)
	get := func() map[string]string {
		t.Helper()
		out, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
		if err != nil {
			t.Fatalf("GetSubscriptionAttributes: %v", err)
		}
		return out.Attributes
	}
	set := func(k, v string) error {
		_, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
			SubscriptionArn: aws.String(sub), AttributeName: aws.String(k), AttributeValue: aws.String(v),
		})
		return err
	}
	a := get()
	for k, v := range map[string]string{
		"SubscriptionArn": sub, "TopicArn": arn, "Owner": testAccount, "Protocol": "sqs", "Endpoint": arnOfSQS(qname),
		"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true", "RawMessageDelivery": "false",
	} {
		if a[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, a[k], v)
		}
	}
	if v, ok := a["FilterPolicy"]; ok {
		t.Errorf("FilterPolicy = %q on a subscription without one", v)
	}

	if err := set("RawMessageDelivery", "true"); err != nil {
		t.Fatal(err)
	}
	dlq := snsQueue(t, q, uniq(t, "dlq"))
	rp := `{"deadLetterTargetArn":"` + queueArn(t, q, dlq) + `"}`
	if err := set("RedrivePolicy", rp); err != nil {
		t.Fatal(err)
	}
	a = get()
	if a["RawMessageDelivery"] != "true" || !jsonEqual(a["RedrivePolicy"], rp) {
		t.Errorf("after set: RawMessageDelivery=%q RedrivePolicy=%q", a["RawMessageDelivery"], a["RedrivePolicy"])
	}

	for _, v := range []string{"x", "", "yes"} {
		snsErr(t, set("RawMessageDelivery", v), "InvalidParameter", 400, "Invalid parameter: RawMessageDelivery: Invalid value ["+v+"]. Must be true or false.")
	}
	snsErr(t, set("Bogus", "1"), "InvalidParameter", 400, "Invalid parameter: AttributeName")
	snsErr(t, set("RedrivePolicy", `{"deadLetterTargetArn":"nope"}`), "InvalidParameter", 400, "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")
	snsErrContains(t, set("RedrivePolicy", "{invalid"), "InvalidParameter", 400, "Invalid parameter: RedrivePolicy: failed to parse JSON.")
	snsErr(t, set("FilterPolicyScope", "RandomValue"), "InvalidParameter", 400,
		"Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes")

	missing := arn + ":00000000-0000-4000-8000-000000000000"
	_, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(missing)})
	snsErr(t, err, "NotFound", 404, "Subscription does not exist")
	_, err = c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(missing), AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true"),
	})
	snsErr(t, err, "NotFound", 404, "Subscription does not exist")
	_, err = c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String("arn:aws:sns:us-east-1:000000000000")})
	snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5")
}

func TestSNSAPIUnsubscribe(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	gone, sub := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
	kept, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
	if _, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(sub)}); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	_, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
	snsErr(t, err, "NotFound", 404, "Subscription does not exist")
	out, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Subscriptions) != 1 {
		t.Errorf("after Unsubscribe the topic lists %d subscriptions, want 1", len(out.Subscriptions))
	}
	ta, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if ta.Attributes["SubscriptionsConfirmed"] != "1" {
		t.Errorf("SubscriptionsConfirmed = %q after Unsubscribe, want 1", ta.Attributes["SubscriptionsConfirmed"])
	}
	snsPublish(t, c, arn, "after unsubscribe", nil)
	snsCollect(t, q, kept, 1, 5*time.Second)
	if ms := receive(t, q, gone, 10, 0); len(ms) != 0 {
		t.Errorf("the unsubscribed queue received %q", bodies(ms))
	}
	_, err = c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String("garbage")})
	snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")
}

// --- publish -------------------------------------------------------------------

func TestSNSAPIPublishErrors(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	qurl, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
	str := aws.String
	cases := []struct {
		name   string
		in     sns.PublishInput
		code   string
		status int
		msg    string
	}{
		{"missing topic", sns.PublishInput{TopicArn: str(snsTopicArn("no-such-topic-sns-api")), Message: str("x")}, "NotFound", 404, "Topic does not exist"},
		{"malformed topic arn", sns.PublishInput{TopicArn: str("arn:aws:sns"), Message: str("x")}, "InvalidParameter", 400,
			"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 3"},
		{"no topic", sns.PublishInput{Message: str("x")}, "InvalidParameter", 400,
			"Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"},
		{"empty message", sns.PublishInput{TopicArn: str(arn), Message: str("")}, "InvalidParameter", 400, "Invalid parameter: Empty message"},
		{"message too long", sns.PublishInput{TopicArn: str(arn), Message: str(strings.Repeat("m", 262145))}, "InvalidParameter", 400, "Invalid parameter: Message too long"},
		{"message and attributes too long", sns.PublishInput{TopicArn: str(arn), Message: str(strings.Repeat("m", 262140)),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"attr": snsStr("String", "value")}}, "InvalidParameter", 400, "Invalid parameter: Message too long"},
		{"empty subject", sns.PublishInput{TopicArn: str(arn), Message: str("x"), Subject: str("")}, "InvalidParameter", 400, "Invalid parameter: Subject"},
		{"subject with newline", sns.PublishInput{TopicArn: str(arn), Message: str("x"), Subject: str("two\nlines")}, "InvalidParameter", 400, "Invalid parameter: Subject"},
		{"subject not ASCII", sns.PublishInput{TopicArn: str(arn), Message: str("x"), Subject: str("ünïcode")}, "InvalidParameter", 400, "Invalid parameter: Subject"},
		{"subject too long", sns.PublishInput{TopicArn: str(arn), Message: str("x"), Subject: str(strings.Repeat("s", 101))}, "InvalidParameter", 400, "Invalid parameter: Subject"},
		{"json without default", sns.PublishInput{TopicArn: str(arn), Message: str(`{"sqs":"only"}`), MessageStructure: str("json")}, "InvalidParameter", 400,
			"Invalid parameter: Message Structure - No default entry in JSON message body"},
		{"json that does not parse", sns.PublishInput{TopicArn: str(arn), Message: str(`{"default":`), MessageStructure: str("json")}, "InvalidParameter", 400,
			"Invalid parameter: Message Structure - JSON message body failed to parse"},
		{"dedup id on a standard topic", sns.PublishInput{TopicArn: str(arn), Message: str("x"), MessageDeduplicationId: str("d")}, "InvalidParameter", 400,
			"Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"},
		{"bad attribute type", sns.PublishInput{TopicArn: str(arn), Message: str("x"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"attr1": snsStr("Text", "v")}}, "ParameterValueInvalid", 400,
			"The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"empty string attribute", sns.PublishInput{TopicArn: str(arn), Message: str("x"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"attr1": snsStr("String", "")}}, "ParameterValueInvalid", 400,
			"The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'."},
		{"binary attribute with a string", sns.PublishInput{TopicArn: str(arn), Message: str("x"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"attr1": snsStr("Binary", "v")}}, "ParameterValueInvalid", 400,
			"The message attribute 'attr1' with type 'Binary' must use field 'Binary'."},
		{"number attribute with bytes", sns.PublishInput{TopicArn: str(arn), Message: str("x"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"attr1": {DataType: str("Number"), BinaryValue: []byte("1")}}}, "ParameterValueInvalid", 400,
			"The message attribute 'attr1' with type 'Number' must use field 'String'."},
		{"attribute name with ^", sns.PublishInput{TopicArn: str(arn), Message: str("x"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"a^b": snsStr("String", "v")}}, "ParameterValueInvalid", 400,
			"Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots."},
		{"attribute name starting with .", sns.PublishInput{TopicArn: str(arn), Message: str("x"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{".a": snsStr("String", "v")}}, "ParameterValueInvalid", 400,
			"Invalid message attribute name starting with character '.' was found."},
		{"attribute name with ..", sns.PublishInput{TopicArn: str(arn), Message: str("x"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"a..b": snsStr("String", "v")}}, "ParameterValueInvalid", 400,
			"Message attribute name can not have successive '.' character."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Publish(ctxT(t), &tc.in)
			snsErr(t, err, tc.code, tc.status, tc.msg)
		})
	}
	t.Run("longest message", func(t *testing.T) {
		t.Parallel()
		// 262144 bytes is the limit, inclusive. (No other case delivers.)
		msg := strings.Repeat("L", 262144)
		snsPublish(t, c, arn, msg, nil)
		ms := snsCollect(t, q, qurl, 1, 5*time.Second)
		if e := snsParseEnvelope(t, aws.ToString(ms[0].Body)); e.Message != msg {
			t.Errorf("the 262144-byte message arrived with %d bytes", len(e.Message))
		}
	})
}

func TestSNSAPIPublishBatch(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	qurl, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
	entry := func(id, msg string) snstypes.PublishBatchRequestEntry {
		return snstypes.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String(msg)}
	}

	t.Run("partial success", func(t *testing.T) {
		bad := entry("badattr", "x")
		bad.MessageAttributes = map[string]snstypes.MessageAttributeValue{"attr1": snsStr("Text", "v")}
		subj := entry("subj", "with subject")
		subj.Subject = aws.String("Hello")
		out, err := c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
			entry("one", "first"), entry("empty", ""), subj, bad, entry("two", "second"),
		}})
		if err != nil {
			t.Fatalf("PublishBatch: %v", err)
		}
		ids := map[string]string{}
		for _, s := range out.Successful {
			if !snsUUIDRE.MatchString(aws.ToString(s.MessageId)) {
				t.Errorf("entry %s MessageId %q", aws.ToString(s.Id), aws.ToString(s.MessageId))
			}
			if s.SequenceNumber != nil {
				t.Errorf("entry %s has SequenceNumber %q on a standard topic", aws.ToString(s.Id), *s.SequenceNumber)
			}
			ids[aws.ToString(s.Id)] = aws.ToString(s.MessageId)
		}
		if got := keysOf(ids); !slices.Equal(got, []string{"one", "subj", "two"}) {
			t.Errorf("Successful ids = %v, want [one subj two]", got)
		}
		failed := map[string]snstypes.BatchResultErrorEntry{}
		for _, f := range out.Failed {
			failed[aws.ToString(f.Id)] = f
		}
		if got := keysOf(failed); !slices.Equal(got, []string{"badattr", "empty"}) {
			t.Fatalf("Failed ids = %v, want [badattr empty]", got)
		}
		for id, want := range map[string][2]string{
			"empty":   {"InvalidParameter", "Invalid parameter: Empty message"},
			"badattr": {"ParameterValueInvalid", "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		} {
			f := failed[id]
			if aws.ToString(f.Code) != want[0] || aws.ToString(f.Message) != want[1] || !f.SenderFault {
				t.Errorf("failed entry %s = code %q message %q sender fault %v, want %q %q true", id, aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault, want[0], want[1])
			}
		}
		got := map[string]snsEnvelope{}
		for _, m := range snsCollect(t, q, qurl, 3, 5*time.Second) {
			e := snsParseEnvelope(t, aws.ToString(m.Body))
			got[e.Message] = e
		}
		for msg, id := range map[string]string{"first": "one", "second": "two", "with subject": "subj"} {
			e, ok := got[msg]
			if !ok {
				t.Errorf("message %q not delivered", msg)
				continue
			}
			if e.MessageId != ids[id] {
				t.Errorf("message %q delivered with MessageId %s, PublishBatch returned %s", msg, e.MessageId, ids[id])
			}
		}
		if got["with subject"].Subject != "Hello" {
			t.Errorf("batch entry Subject delivered as %q", got["with subject"].Subject)
		}
	})

	t.Run("request errors", func(t *testing.T) {
		var eleven []snstypes.PublishBatchRequestEntry
		for i := 0; i < 11; i++ {
			eleven = append(eleven, entry(fmt.Sprint("e", i), "x"))
		}
		for _, tc := range []struct {
			name    string
			entries []snstypes.PublishBatchRequestEntry
			code    string
			msg     string
		}{
			{"eleven entries", eleven, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."},
			{"duplicate ids", []snstypes.PublishBatchRequestEntry{entry("same", "a"), entry("same", "b")}, "BatchEntryIdsNotDistinct",
				"Two or more batch entries in the request have the same Id."},
			{"bad id", []snstypes.PublishBatchRequestEntry{entry("msg@123#test", "a")}, "InvalidBatchEntryId",
				"The Id of a batch entry in the batch request contains an impermissible character: msg@123#test"},
			{"long id", []snstypes.PublishBatchRequestEntry{entry(strings.Repeat("a", 81), "a")}, "InvalidBatchEntryId",
				"The Id of a batch entry in the batch request is too long: " + strings.Repeat("a", 81)},
			{"too long in total", []snstypes.PublishBatchRequestEntry{entry("a", strings.Repeat("x", 200000)), entry("b", strings.Repeat("y", 100000))},
				"BatchRequestTooLong", "The length of all the messages put together is more than the limit."},
		} {
			_, err := c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: tc.entries})
			if err == nil {
				t.Errorf("%s: PublishBatch succeeded", tc.name)
				continue
			}
			snsErr(t, err, tc.code, 400, tc.msg)
		}
		_, err := c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(snsTopicArn(uniq(t, "missing"))),
			PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{entry("a", "x")}})
		snsErr(t, err, "NotFound", 404, "Topic does not exist")
		if ms := receive(t, q, qurl, 10, 0); len(ms) != 0 {
			t.Errorf("rejected batches delivered %q", bodies(ms))
		}
	})
}

// TestSNSAPIEnvelope publishes to a standard topic and checks the JSON
// notification its SQS subscription receives, field by field.
func TestSNSAPIEnvelope(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	qurl, sub := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))

	msg := "hello <world> & \"quotes\" \\ ünïcode \U0001F600\nsecond line"
	bin := []byte{0, 1, 2, 0xfe, 0xff}
	before := time.Now().Add(-time.Second)
	out, err := c.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(arn), Message: aws.String(msg), Subject: aws.String("Greetings, reader!"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"str":    snsStr("String", "hello"),
			"num":    snsStr("Number", "42.5"),
			"bin":    snsBin(bin),
			"custom": snsStr("String.custom", "c"),
			"arr":    snsStr("String.Array", `["a",1,true]`),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.MessageId)
	if !snsUUIDRE.MatchString(id) {
		t.Errorf("Publish MessageId %q is not a UUID", id)
	}
	if out.SequenceNumber != nil {
		t.Errorf("standard topic Publish returned SequenceNumber %q", *out.SequenceNumber)
	}
	ms := snsCollect(t, q, qurl, 1, 5*time.Second)
	m := ms[0]
	if len(m.MessageAttributes) != 0 {
		t.Errorf("enveloped delivery carries SQS message attributes %v", keysOf(m.MessageAttributes))
	}
	e := snsParseEnvelope(t, aws.ToString(m.Body))
	wantKeys := []string{"Message", "MessageAttributes", "MessageId", "Signature", "SignatureVersion", "SigningCertURL",
		"Subject", "Timestamp", "TopicArn", "Type", "UnsubscribeURL"}
	if !slices.Equal(e.keys, wantKeys) {
		t.Errorf("envelope keys = %v,\n                 want %v", e.keys, wantKeys)
	}
	check := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("Type", e.Type, "Notification")
	check("MessageId", e.MessageId, id)
	check("TopicArn", e.TopicArn, arn)
	check("Subject", e.Subject, "Greetings, reader!")
	check("Message", e.Message, msg)
	check("SignatureVersion", e.SignatureVersion, "1")
	check("UnsubscribeURL", e.UnsubscribeURL, srv.URL+"/?Action=Unsubscribe&SubscriptionArn="+sub)
	if !snsTimestampRE.MatchString(e.Timestamp) {
		t.Errorf("Timestamp %q is not yyyy-mm-ddThh:mm:ss.mmmZ", e.Timestamp)
	} else if ts, _ := time.Parse(time.RFC3339, e.Timestamp); ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("Timestamp %s is not the publish time (about %s)", e.Timestamp, time.Now().UTC().Format(time.RFC3339))
	}
	if e.Signature == "" {
		t.Errorf("Signature is empty")
	}
	if !strings.HasPrefix(e.SigningCertURL, srv.URL+"/") || !strings.HasSuffix(e.SigningCertURL, ".pem") {
		t.Errorf("SigningCertURL = %q, want %s/….pem", e.SigningCertURL, srv.URL)
	}
	snsVerifySignature(t, e)
	wantAttrs := map[string]struct{ Type, Value string }{
		"str":    {"String", "hello"},
		"num":    {"Number", "42.5"},
		"bin":    {"Binary", base64.StdEncoding.EncodeToString(bin)},
		"custom": {"String.custom", "c"},
		"arr":    {"String.Array", `["a",1,true]`},
	}
	if fmt.Sprint(e.MessageAttributes) != fmt.Sprint(wantAttrs) {
		t.Errorf("MessageAttributes = %v,\n                want %v", e.MessageAttributes, wantAttrs)
	}
	// AWS's layout: "Key" : "Value" pairs, two-space indentation.
	if body := aws.ToString(m.Body); !strings.HasPrefix(body, "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \""+id+"\",") {
		t.Errorf("envelope is not in AWS's layout:\n%s", body)
	}

	t.Run("without subject or attributes", func(t *testing.T) {
		id := snsPublish(t, c, arn, "plain", nil)
		e := snsParseEnvelope(t, aws.ToString(snsCollect(t, q, qurl, 1, 5*time.Second)[0].Body))
		want := []string{"Message", "MessageId", "Signature", "SignatureVersion", "SigningCertURL", "Timestamp", "TopicArn", "Type", "UnsubscribeURL"}
		if !slices.Equal(e.keys, want) {
			t.Errorf("envelope keys = %v, want %v", e.keys, want)
		}
		if e.MessageId != id || e.Message != "plain" {
			t.Errorf("envelope MessageId %s Message %q, want %s plain", e.MessageId, e.Message, id)
		}
		snsVerifySignature(t, e)
	})

	t.Run("signature version 2", func(t *testing.T) {
		if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
			TopicArn: aws.String(arn), AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2"),
		}); err != nil {
			t.Fatal(err)
		}
		snsPublish(t, c, arn, "signed with SHA256", nil)
		e := snsParseEnvelope(t, aws.ToString(snsCollect(t, q, qurl, 1, 5*time.Second)[0].Body))
		if e.SignatureVersion != "2" {
			t.Errorf("SignatureVersion = %q after setting 2", e.SignatureVersion)
		}
		snsVerifySignature(t, e)
	})
}

// TestSNSAPIUnsubscribeURL follows a notification's UnsubscribeURL with a
// plain GET, as a reader of the queue would.
func TestSNSAPIUnsubscribeURL(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	qurl, sub := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
	snsPublish(t, c, arn, "first", nil)
	e := snsParseEnvelope(t, aws.ToString(snsCollect(t, q, qurl, 1, 5*time.Second)[0].Body))
	resp, err := http.Get(e.UnsubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(raw, []byte("<UnsubscribeResponse")) {
		t.Fatalf("GET UnsubscribeURL: HTTP %d\n%s", resp.StatusCode, raw)
	}
	_, err = c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
	snsErr(t, err, "NotFound", 404, "Subscription does not exist")
	snsPublish(t, c, arn, "second", nil)
	if ms := receive(t, q, qurl, 10, 0); len(ms) != 0 {
		t.Errorf("queue received %q after following UnsubscribeURL", bodies(ms))
	}
}

func TestSNSAPIRawDelivery(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	raw, sub := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"), "RawMessageDelivery", "true")
	env, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
	msg := `{"order": 17, "note": "<raw> & \"body\""}`
	bin := []byte{0xde, 0xad, 0xbe, 0xef, 0}
	id := snsPublish(t, c, arn, msg, map[string]snstypes.MessageAttributeValue{
		"str": snsStr("String", "hello"), "num": snsStr("Number", "7"), "bin": snsBin(bin), "cust": snsStr("Number.int", "3"),
	})
	m := snsCollect(t, q, raw, 1, 5*time.Second)[0]
	if aws.ToString(m.Body) != msg {
		t.Errorf("raw body = %q, want the message %q", aws.ToString(m.Body), msg)
	}
	want := map[string]string{"str": "String=hello", "num": "Number=7", "bin": "Binary=" + string(bin), "cust": "Number.int=3"}
	got := map[string]string{}
	for k, v := range m.MessageAttributes {
		got[k] = aws.ToString(v.DataType) + "=" + aws.ToString(v.StringValue) + string(v.BinaryValue)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("raw delivery SQS message attributes = %q, want %q", got, want)
	}
	// The other subscription still gets the envelope.
	e := snsParseEnvelope(t, aws.ToString(snsCollect(t, q, env, 1, 5*time.Second)[0].Body))
	if e.MessageId != id || e.Message != msg {
		t.Errorf("enveloped delivery MessageId %s Message %q", e.MessageId, e.Message)
	}
	// Turning raw delivery off brings the envelope back.
	if _, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(sub), AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false"),
	}); err != nil {
		t.Fatal(err)
	}
	id = snsPublish(t, c, arn, "wrapped again", nil)
	e = snsParseEnvelope(t, aws.ToString(snsCollect(t, q, raw, 1, 5*time.Second)[0].Body))
	if e.Type != "Notification" || e.MessageId != id || e.Message != "wrapped again" {
		t.Errorf("after RawMessageDelivery=false: %+v", e)
	}
	snsCollect(t, q, env, 1, 5*time.Second)
}

func TestSNSAPIMessageStructureJSON(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateTopic(t, c, uniq(t, "tp"))
	env, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"))
	raw, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q"), "RawMessageDelivery", "true")
	publish := func(structure string) {
		t.Helper()
		if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(structure), MessageStructure: aws.String("json")}); err != nil {
			t.Fatalf("Publish %s: %v", structure, err)
		}
	}
	for _, tc := range []struct{ structure, want string }{
		{`{"default":"for everyone","sqs":"for queues","http":"for web hooks"}`, "for queues"},
		{`{"default":"for everyone","email":"for mail"}`, "for everyone"},
	} {
		publish(tc.structure)
		e := snsParseEnvelope(t, aws.ToString(snsCollect(t, q, env, 1, 5*time.Second)[0].Body))
		if e.Message != tc.want {
			t.Errorf("%s: enveloped Message = %q, want %q", tc.structure, e.Message, tc.want)
		}
		if body := aws.ToString(snsCollect(t, q, raw, 1, 5*time.Second)[0].Body); body != tc.want {
			t.Errorf("%s: raw body = %q, want %q", tc.structure, body, tc.want)
		}
	}
}
