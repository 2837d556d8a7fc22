package sigv4

import (
	"net/http"
	"testing"
)

// BenchmarkVerify measures one verification of a typical SQS JSON request
// signed by the Go SDK (signing key cached after the first iteration).
func BenchmarkVerify(b *testing.B) {
	r, body := signOpts{
		body: `{"QueueUrl":"http://localhost:4566/000000000000/my-queue","MessageBody":"hello world"}`,
		header: http.Header{
			"Content-Type":          {"application/x-amz-json-1.0"},
			"X-Amz-Target":          {"AmazonSQS.SendMessage"},
			"X-Amzn-Query-Mode":     {"true"},
			"Amz-Sdk-Invocation-Id": {"5e2b4c9a-1d7e-4c5b-9a51-3f1f0f4b2f10"},
			"Amz-Sdk-Request":       {"attempt=1; max=3"},
		},
	}.build(b)
	v := newVerifier("sqs")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached derives the signing key on every request.
func BenchmarkVerifyUncached(b *testing.B) {
	r, body := signOpts{body: "Action=ListQueues&Version=2012-11-05",
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}.build(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newVerifier("sqs").Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}
