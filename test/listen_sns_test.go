package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "herald listen test"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:        true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "listener.crt"), filepath.Join(dir, "listener.key")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return certFile, keyFile
}

const (
	ingestCompleted = `{ "operation": "job-completed", "input": { "src": { "bucket": "ingest-bucket", "key": "demo-02/demo-02.mp4", "type": "video" }, "restore": { "startTime": 1572428433387, "endTime": 1572428433387 }, "checksum": { "algorithm": "md5", "fileSize": 5885585, "computed": "f0c34a09ab84db214e4c7bd6a164e5e9", "storeChecksumOnTagging": true, "startTime": 1572428434655, "endTime": 1572428434969, "comparedWith": "object-metadata", "comparedResult": "MATCHED", "tagUpdated": true }, "mediainfo": { "output": "7f9e/demo-02/mediainfo/output.xml" }, "transcode": { "jobId": "1572428437358-yjfe1o", "destination": "7f9e/demo-02/transcoded/" }, "indexer": { "terms": [ "lastModified", "timestamp", "basename", "fileSize", "mime", "mediainfo", "uuid", "key", "type", "md5" ] } }, "progress": 0, "uuid": "7f9e", "status": "COMPLETED", "stateMachine": "SO0050-m2csolution-ingest" }`
	labelingError   = `{ "uuid": "7f9e", "stateMachine": "SO0050-m2csolution-gt-labeling", "status": "ERROR", "errorMessage": "Cannot destructure property ` + "`workerId`" + ` of 'undefined' or 'null'.", "input": { "uuid": "7f9e" } }`
)

// The media-processing seed: job notifications published to an SNS topic
// reach the listener by HTTPS push; the listener confirms the subscription
// itself, verifies every signature against the broker's certificate,
// unwraps the envelope and deduplicates on uuid+stateMachine+status; a
// forged message is refused with 403.
func TestListenSNSHTTPSPush(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	// The broker trusts the listener's certificate as a real SNS trusts a
	// public CA's.
	srv := startServerEnv(t, []string{"SSL_CERT_FILE=" + certFile}, "--in-memory")
	cfg := writeFile(t, filepath.Join(dir, "listener.yaml"), fmt.Sprintf(`
source:
  sns:
    listen: 127.0.0.1:0
    tls_cert: %[1]s
    tls_key: %[2]s
    allow_http_certs: true
    cert_host_pattern: '^127\.0\.0\.1$'
store: sqlite:%[3]s/listen.db
dedupe:
  key: [uuid, stateMachine, status]
sinks:
  jobs:
    type: dir
    dir: %[3]s/jobs
    name: "{{.Event.stateMachine}}-{{.Event.status}}.json"
metrics: 127.0.0.1:0
`, certFile, keyFile, dir))
	l := startListener(t, "--config", cfg)
	if !strings.HasPrefix(l.snsURL, "https://127.0.0.1:") {
		t.Fatalf("sns endpoint URL %q", l.snsURL)
	}

	c := newSNSClient(srv)
	ctx := context.Background()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("media-jobs")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("https"),
		Endpoint: aws.String(l.snsURL)}); err != nil {
		t.Fatal(err)
	}
	// The listener confirms on its own.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Subscriptions) == 1 && strings.HasPrefix(aws.ToString(out.Subscriptions[0].SubscriptionArn), "arn:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription not confirmed: %+v", out.Subscriptions)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, m := range []string{ingestCompleted, labelingError, labelingError} {
		if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(m),
			Subject: aws.String("media2cloud")}); err != nil {
			t.Fatal(err)
		}
	}
	l.waitMetric(t, `herald_listen_events_total{outcome="delivered"}`, 2, 20*time.Second)
	l.waitMetric(t, `herald_listen_events_total{outcome="duplicate"}`, 1, 20*time.Second)
	for name, want := range map[string]string{
		"SO0050-m2csolution-ingest-COMPLETED.json":  ingestCompleted,
		"SO0050-m2csolution-gt-labeling-ERROR.json": labelingError,
	} {
		got, err := os.ReadFile(filepath.Join(dir, "jobs", name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want the published message unchanged", name, got, err)
		}
	}

	// A tampered notification is refused: take a genuine envelope (through
	// an SQS subscription) and change its message.
	sq := newSQS(srv)
	qurl := snsQueue(t, sq, "media-jobs-copy")
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(queueArn(t, sq, qurl))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(labelingError)}); err != nil {
		t.Fatal(err)
	}
	genuine := receiveOne(t, sq, qurl)
	forged := strings.Replace(genuine, `\"status\": \"ERROR\"`, `\"status\": \"COMPLETED\"`, 1)
	if forged == genuine {
		t.Fatalf("could not tamper with %s", genuine)
	}
	// The HTTPS copy of that publish is a third duplicate of the error.
	l.waitMetric(t, `herald_listen_events_total{outcome="duplicate"}`, 2, 20*time.Second)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequest(http.MethodPost, l.snsURL, strings.NewReader(forged))
	req.Header.Set("x-amz-sns-message-type", "Notification")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged message answered %d, want 403", resp.StatusCode)
	}
	if got := l.metric(t, `herald_listen_messages_total`); got != 4 {
		t.Errorf("messages = %v after the forgery, want 4", got)
	}
	if got := l.metric(t, `herald_listen_sns_rejected_total{reason="unauthenticated"}`); got != 1 {
		t.Errorf("rejected as unauthenticated = %v, want 1", got)
	}
}
