package sigv4

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// presign returns a GET request for a URL presigned with the Go SDK's
// PresignHTTP at time at.
func presign(t testing.TB, rawURL string, at time.Time, token string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, rawURL, nil)
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret, SessionToken: token}
	uri, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, emptySHA256, "sqs", testRegion, at)
	if err != nil {
		t.Fatal(err)
	}
	out := httptest.NewRequest(http.MethodGet, uri, nil)
	for k, vs := range hdr {
		if !strings.EqualFold(k, "host") {
			out.Header[k] = vs
		}
	}
	return out
}

func TestPresigned(t *testing.T) {
	const u = "http://localhost:4566/000000000000/my-queue?Action=ReceiveMessage&MaxNumberOfMessages=1&X-Amz-Expires=300"
	v := newVerifier("sqs")

	r := presign(t, u, testNow, "")
	if _, err := v.Verify(r, nil); err != nil {
		t.Fatalf("presigned URL refused: %v\n%s", err, r.URL)
	}
	r = presign(t, u, testNow, "session/token+=")
	if !strings.Contains(r.URL.RawQuery, "X-Amz-Security-Token=") {
		t.Fatalf("no token in %s", r.URL)
	}
	if _, err := v.Verify(r, nil); err != nil {
		t.Fatalf("presigned URL with token refused: %v", err)
	}

	// Within X-Amz-Expires, even when older than the skew would allow a
	// header signature; then past it.
	v.Now = func() time.Time { return testNow.Add(299 * time.Second) }
	if _, err := v.Verify(presign(t, u, testNow, ""), nil); err != nil {
		t.Fatal(err)
	}
	v.Now = func() time.Time { return testNow.Add(301 * time.Second) }
	e := wantErr(t, mustErr(v.Verify(presign(t, u, testNow, ""), nil)), CodeRequestExpired, 400, "Request has expired.")
	if !e.Expired() {
		t.Error("Expired() false")
	}
	long := strings.Replace(u, "X-Amz-Expires=300", "X-Amz-Expires=3600", 1)
	v.Now = func() time.Time { return testNow.Add(50 * time.Minute) }
	if _, err := v.Verify(presign(t, long, testNow, ""), nil); err != nil {
		t.Fatal(err)
	}
	// Without X-Amz-Expires, the clock skew applies.
	noExp := strings.Replace(u, "&X-Amz-Expires=300", "", 1)
	v.Now = func() time.Time { return testNow.Add(16 * time.Minute) }
	wantErr(t, mustErr(v.Verify(presign(t, noExp, testNow, ""), nil)), CodeSignatureDoesNotMatch, 403, "Signature expired: 20250101T120000Z")
	// Dated in the future.
	v.Now = func() time.Time { return testNow.Add(-16 * time.Minute) }
	wantErr(t, mustErr(v.Verify(presign(t, u, testNow, ""), nil)), CodeSignatureDoesNotMatch, 403, "Signature not yet current")
	v.Now = func() time.Time { return testNow }

	tamper := func(name string, f func(*http.Request), code string, status int, msg string) {
		t.Run(name, func(t *testing.T) {
			r := presign(t, u, testNow, "")
			f(r)
			wantErr(t, mustErr(v.Verify(r, nil)), code, status, msg)
		})
	}
	sub := func(old, new string) func(*http.Request) {
		return func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, old, new, 1) }
	}
	tamper("query value", sub("MaxNumberOfMessages=1", "MaxNumberOfMessages=10"), CodeSignatureDoesNotMatch, 403, msgSignatureMismatch)
	tamper("expires", sub("X-Amz-Expires=300", "X-Amz-Expires=900"), CodeSignatureDoesNotMatch, 403, msgSignatureMismatch)
	tamper("path", func(r *http.Request) { r.URL.Path = "/000000000000/other" }, CodeSignatureDoesNotMatch, 403, msgSignatureMismatch)
	tamper("region", sub("%2Fus-east-1%2F", "%2Fus-west-2%2F"), CodeSignatureDoesNotMatch, 403, "Credential should be scoped to a valid region, not 'us-west-2'. ")
	tamper("signature missing", func(r *http.Request) {
		q := r.URL.Query()
		q.Del("X-Amz-Signature")
		q.Del("X-Amz-Date")
		r.URL.RawQuery = q.Encode()
	}, CodeIncompleteSignature, 400, "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")
	tamper("bad date", func(r *http.Request) {
		q := r.URL.Query()
		q.Set("X-Amz-Date", "yesterday")
		r.URL.RawQuery = q.Encode()
	}, CodeIncompleteSignature, 400, "Date must be in ISO-8601 'basic format'. Got 'yesterday'.")
	tamper("bad expires", sub("X-Amz-Expires=300", "X-Amz-Expires=-1"), CodeIncompleteSignature, 400, "X-Amz-Expires must be a non-negative integer")
	tamper("week", sub("X-Amz-Expires=300", "X-Amz-Expires=604801"), CodeIncompleteSignature, 400, "X-Amz-Expires must be less than a week")
}
