package bench

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// NewClient returns an SQS client for endpoint that is fit for load: a
// transport that keeps at least conns idle connections to the broker, static
// credentials "bench"/"bench", region us-east-1 and no retries, so that
// every failure is seen. The function it also returns closes the
// transport's idle connections.
func NewClient(endpoint string, conns int) (*sqs.Client, func()) {
	tr := &http.Transport{
		Proxy:                 nil, // the broker is measured directly, never through a proxy
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          0, // no limit in total
		MaxIdleConnsPerHost:   max(conns, 64),
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	hc := &http.Client{Transport: bufferedBody{tr}, Timeout: 30 * time.Second}
	c := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(envOr("AWS_ACCESS_KEY_ID", "bench"), envOr("AWS_SECRET_ACCESS_KEY", "bench"), ""),
		HTTPClient:   hc,
		Retryer:      aws.NopRetryer{},
	})
	return c, tr.CloseIdleConnections
}

// bufferedBody is a RoundTripper that reads the request body into memory
// and sends a copy of it.
//
// It works around a race between the SDK and net/http that otherwise kills
// keep-alive connections under load: smithy-go closes the request body as
// soon as RoundTrip returns, and its closed body answers WriteTo with io.EOF.
// A fast server can answer before the transport's write loop has made its
// last (empty) read of the body; that read then fails, the transport takes
// it for a write error and closes the connection, and the SDK, still reading
// the response, reports "use of closed network connection" on a call that
// succeeded. An in-memory body also lets net/http send headers and body in
// one write.
type bufferedBody struct{ next http.RoundTripper }

// BufferedTransport wraps next so that request bodies are sent from a copy
// in memory (see bufferedBody): the fix for the SDK's body race, for other
// clients of Herald (tests) to share.
func BufferedTransport(next http.RoundTripper) http.RoundTripper { return bufferedBody{next} }

// RoundTrip implements http.RoundTripper.
func (b bufferedBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return b.next.RoundTrip(req)
	}
	data, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	r := req.WithContext(req.Context()) // a shallow copy: the caller's request stays as it was
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r.ContentLength = int64(len(data))
	return b.next.RoundTrip(r)
}

// envOr returns the environment variable name, or def when it is unset:
// the benchmark signs with the standard AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (a broker that authenticates needs an identity's
// keys), and with placeholders otherwise.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
