package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/herald-dev/herald/internal/access"
	"github.com/herald-dev/herald/internal/identity"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/store/memstore"
)

// The handler benchmarks measure the broker's own work per SQS request
// (authentication, decoding, the engine, encoding, metrics) without the
// sockets and net/http's parsing: requests signed as the AWS SDK signs
// them, served by the same handler `herald serve` builds.

const benchAccount = "000000000000"

type benchBroker struct {
	h      http.Handler
	e      *queue.Engine
	signer *v4.Signer
	creds  aws.Credentials
	qurl   string
}

func newBenchBroker(b *testing.B) *benchBroker {
	b.Helper()
	ctx := context.Background()
	e, err := queue.Open(ctx, queue.Options{Store: memstore.New()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	id := identity.Identity{AccessKeyID: "HKIABENCHMARK0000000", SecretAccessKey: "bench-secret-0000000000000000000000000000",
		Account: benchAccount, PrincipalARN: "arn:aws:iam::" + benchAccount + ":root"}
	if err := id.Validate(); err != nil {
		b.Fatal(err)
	}
	ids, err := identity.NewSet(id)
	if err != nil {
		b.Fatal(err)
	}
	acc := access.New(access.Config{Identities: ids, Region: "us-east-1"})
	h := server.New(server.Config{Engine: e, Account: benchAccount, Access: &server.Access{
		SQSAuthenticate: acc.AuthenticateSQS, SNSAuthenticate: acc.AuthenticateSNS,
		SQSAuthorize: acc.AuthorizeSQS, SNSAuthorize: acc.AuthorizeSNS,
	}})
	bb := &benchBroker{h: h, e: e, signer: v4.NewSigner(),
		creds: aws.Credentials{AccessKeyID: id.AccessKeyID, SecretAccessKey: id.SecretAccessKey}}
	if _, err := e.CreateQueue(ctx, queue.CreateQueueInput{Account: benchAccount, Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	bb.qurl = "http://127.0.0.1:9410/" + benchAccount + "/bench"
	return bb
}

// signed is a request signed once and replayed: its body and headers.
type signed struct {
	body   []byte
	header http.Header
}

func (bb *benchBroker) sign(b *testing.B, action, body string) signed {
	b.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9410/", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	r.Header.Set("X-Amzn-Query-Mode", "true")
	r.Header.Set("Amz-Sdk-Invocation-Id", "5e2b4c9a-1d7e-4c5b-9a51-3f1f0f4b2f10")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=1")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sqs#1.38.1")
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	sum := sha256.Sum256([]byte(body))
	if err := bb.signer.SignHTTP(context.Background(), bb.creds, r, hex.EncodeToString(sum[:]), "sqs", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return signed{body: []byte(body), header: r.Header}
}

// discard is a ResponseWriter that keeps the status and the last body.
type discard struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(s int)           { d.status = s }
func (d *discard) Write(p []byte) (int, error) { return d.buf.Write(p) }

func (bb *benchBroker) do(b *testing.B, s signed, d *discard) {
	r := &http.Request{Method: http.MethodPost, URL: &urlRoot, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: s.header.Clone(), Body: nopBody{bytes.NewReader(s.body)}, ContentLength: int64(len(s.body)),
		Host: "127.0.0.1:9410", RemoteAddr: "127.0.0.1:40000", RequestURI: "/"}
	r = r.WithContext(context.Background())
	d.h = http.Header{}
	d.status = 200
	d.buf.Reset()
	bb.h.ServeHTTP(d, r)
	if d.status != 200 {
		b.Fatalf("status %d: %s", d.status, d.buf.String())
	}
}

type nopBody struct{ *bytes.Reader }

func (nopBody) Close() error { return nil }

var urlRoot = mustURL("http://127.0.0.1:9410/")

func body256() string { return strings.Repeat("x", 256) }

func BenchmarkHandlerSendMessage(b *testing.B) {
	bb := newBenchBroker(b)
	s := bb.sign(b, "SendMessage", `{"MessageBody":"`+body256()+`","QueueUrl":"`+bb.qurl+`"}`)
	var d discard
	b.ReportAllocs()
	for b.Loop() {
		bb.do(b, s, &d)
	}
}

func BenchmarkHandlerSendMessageBatch(b *testing.B) {
	bb := newBenchBroker(b)
	var entries []string
	for i := range 10 {
		entries = append(entries, `{"Id":"m`+strconv.Itoa(i)+`","MessageBody":"`+body256()+`"}`)
	}
	s := bb.sign(b, "SendMessageBatch", `{"Entries":[`+strings.Join(entries, ",")+`],"QueueUrl":"`+bb.qurl+`"}`)
	var d discard
	b.ReportAllocs()
	for b.Loop() {
		bb.do(b, s, &d)
	}
}

// BenchmarkHandlerReceiveDelete is one ReceiveMessage of 10 and one
// DeleteMessageBatch of what it received (signed ahead, as each delete's
// body depends on the receipt handles, which take a JSON decode here).
func BenchmarkHandlerReceiveDelete(b *testing.B) {
	bb := newBenchBroker(b)
	fill := bb.sign(b, "SendMessageBatch", func() string {
		var entries []string
		for i := range 10 {
			entries = append(entries, `{"Id":"m`+strconv.Itoa(i)+`","MessageBody":"`+body256()+`"}`)
		}
		return `{"Entries":[` + strings.Join(entries, ",") + `],"QueueUrl":"` + bb.qurl + `"}`
	}())
	var d discard
	for range 20000 {
		bb.do(b, fill, &d)
	}
	recv := bb.sign(b, "ReceiveMessage", `{"MaxNumberOfMessages":10,"QueueUrl":"`+bb.qurl+`","WaitTimeSeconds":0}`)
	b.ReportAllocs()
	for b.Loop() {
		bb.do(b, recv, &d)
		var out struct {
			Messages []struct{ ReceiptHandle string }
		}
		if err := json.Unmarshal(d.buf.Bytes(), &out); err != nil {
			b.Fatalf("receive: %v %s", err, d.buf.String())
		}
		if len(out.Messages) == 0 { // drained: fill again, untimed
			b.StopTimer()
			for range 20000 {
				bb.do(b, fill, &d)
			}
			b.StartTimer()
			continue
		}
		var entries []string
		for i, m := range out.Messages {
			entries = append(entries, `{"Id":"d`+strconv.Itoa(i)+`","ReceiptHandle":"`+m.ReceiptHandle+`"}`)
		}
		del := bb.sign(b, "DeleteMessageBatch", `{"Entries":[`+strings.Join(entries, ",")+`],"QueueUrl":"`+bb.qurl+`"}`)
		bb.do(b, del, &d)
	}
}

func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return *u
}
