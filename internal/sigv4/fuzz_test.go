package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// FuzzVerify builds requests from arbitrary Authorization, date, query,
// path, header and body strings: Verify must not panic and must answer an
// identity or an *Error with a code and a 4xx status.
func FuzzVerify(f *testing.F) {
	r, body := signOpts{
		url:    "http://localhost:4566/000000000000/q?Action=ListQueues&X=a%20b",
		body:   "Action=ListQueues",
		header: http.Header{"X-Custom": {"a  b"}},
	}.build(f)
	f.Add(r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), r.URL.RawQuery, r.URL.Path, "X-Custom", "a  b", string(body))
	p := presign(f, "http://localhost:4566/000000000000/q?Action=ReceiveMessage&X-Amz-Expires=300", testNow, "tok").URL
	f.Add("", "", p.RawQuery, p.Path, "", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00", "20250101T120000Z", "", "/", "", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-content-sha256, Signature=00",
		"20250101T120000Z", "", "/", "X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=x", "/%zz/../.", "Date", "Mon, 02 Jan 2006 15:04:05 GMT", "")

	v := newVerifier("sqs")
	f.Fuzz(func(t *testing.T, auth, date, query, path, hname, hvalue, body string) {
		r := &http.Request{
			Method: http.MethodPost,
			URL:    &url.URL{Path: path, RawQuery: query},
			Host:   "localhost:4566",
			Header: http.Header{},
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		if hname != "" {
			r.Header[hname] = []string{hvalue}
		}
		id, err := v.Verify(r, []byte(body))
		if err == nil {
			if id.AccessKeyID != testAK {
				t.Fatalf("accepted with identity %+v", id)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v", err, err)
		}
		if e.Code == "" || e.Message == "" || e.Status < 400 || e.Status > 499 {
			t.Fatalf("bad error %+v", e)
		}
	})
}
