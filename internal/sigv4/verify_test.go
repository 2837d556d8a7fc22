package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSignHTTPAccepted(t *testing.T) {
	cases := []struct {
		name string
		o    signOpts
	}{
		{"json protocol", signOpts{
			body: `{"QueueNamePrefix":"a b"}`,
			header: http.Header{
				"Content-Type": {"application/x-amz-json-1.0"},
				"X-Amz-Target": {"AmazonSQS.ListQueues"},
			},
		}},
		{"query protocol to queue url", signOpts{
			url:    "http://localhost:4566/000000000000/my-queue",
			body:   "Action=SendMessage&MessageBody=hello%20world%21&Version=2012-11-05",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
		}},
		{"get with query parameters", signOpts{
			method: http.MethodGet,
			url:    "http://localhost:4566/?Version=2012-11-05&Action=ListQueues&QueueNamePrefix=a%20b%2Fc~%2A&Empty=&Attr=2&Attr=1",
		}},
		{"plus in query means space", signOpts{
			method: http.MethodGet,
			url:    "http://localhost:4566/?Action=ListQueues&QueueNamePrefix=a+b",
		}},
		{"escaped path segment", signOpts{
			url:  "http://localhost:4566/000000000000/q%20name%3A1",
			body: "Action=GetQueueAttributes",
		}},
		{"sequential spaces and multiple values", signOpts{
			body: "{}",
			header: http.Header{
				"X-Custom":  {"  a   b    c  "},
				"X-Multi":   {"one", "  two  three "},
				"X-Amz-Foo": {"x"},
			},
		}},
		{"host with port", signOpts{url: "http://sqs.example.test:9324/", body: "{}"}},
		{"session token", signOpts{body: "{}", token: "FwoGZXIvYXdzEXAMPLETOKEN//+="}},
		{"unsigned payload", signOpts{
			body:        "Action=ListQueues",
			header:      http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}},
			payloadHash: "UNSIGNED-PAYLOAD",
		}},
		{"dated at day boundary", signOpts{body: "{}", at: testNow.Add(-10 * time.Minute)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.o.build(t)
			id, err := newVerifier("sqs").Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			if id != testIdentity() {
				t.Fatalf("identity %+v", id)
			}
		})
	}
	t.Run("sns", func(t *testing.T) {
		r, body := signOpts{service: "sns", body: "Action=ListTopics&Version=2010-03-31"}.build(t)
		if _, err := newVerifier("sns").Verify(r, body); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTamper(t *testing.T) {
	base := signOpts{
		url:  "http://localhost:4566/000000000000/my-queue?Extra=1",
		body: "Action=SendMessage&MessageBody=hi",
		header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"},
			"X-Custom":     {"value"},
		},
	}
	const mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/000000000000/my-queue\n"
	replaceAuth := func(old, new string) func(*http.Request, *[]byte) {
		return func(r *http.Request, _ *[]byte) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	cases := []struct {
		name   string
		opts   func(*signOpts)
		mutate func(*http.Request, *[]byte)
		code   string
		status int
		msg    string
	}{
		{"header value", nil, func(r *http.Request, _ *[]byte) { r.Header.Set("X-Custom", "other") }, CodeSignatureDoesNotMatch, 403, mismatch},
		{"content type charset", nil, func(r *http.Request, _ *[]byte) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, CodeSignatureDoesNotMatch, 403, mismatch},
		{"body", nil, func(_ *http.Request, b *[]byte) { *b = []byte("Action=SendMessage&MessageBody=ho") }, CodeSignatureDoesNotMatch, 403, mismatch},
		{"path", nil, func(r *http.Request, _ *[]byte) { r.URL.Path = "/000000000000/other-queue" }, CodeSignatureDoesNotMatch, 403, "The request signature we calculated"},
		{"query", nil, func(r *http.Request, _ *[]byte) { r.URL.RawQuery = "Extra=2" }, CodeSignatureDoesNotMatch, 403, mismatch},
		{"added query", nil, func(r *http.Request, _ *[]byte) { r.URL.RawQuery += "&More=1" }, CodeSignatureDoesNotMatch, 403, mismatch},
		{"host", nil, func(r *http.Request, _ *[]byte) { r.Host = "localhost:4567" }, CodeSignatureDoesNotMatch, 403, mismatch},
		{"method", nil, func(r *http.Request, _ *[]byte) { r.Method = http.MethodPut }, CodeSignatureDoesNotMatch, 403, "The request signature"},
		{"date second", nil, func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "20250101T120001Z") }, CodeSignatureDoesNotMatch, 403, mismatch},
		{"date day", nil, func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "20250102T000001Z") }, CodeSignatureDoesNotMatch, 403,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250101' != '20250102', from '20250102T000001Z'. "},
		{"scope region", func(o *signOpts) { o.region = "us-west-2" }, nil, CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped to a valid region, not 'us-west-2'. "},
		{"scope service", func(o *signOpts) { o.service = "sns" }, nil, CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped to correct service: 'sqs'. "},
		{"scope terminator", nil, replaceAuth("/aws4_request", "/aws5_request"), CodeSignatureDoesNotMatch, 403,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "},
		{"signed headers list", nil, replaceAuth("content-type;", ""), CodeSignatureDoesNotMatch, 403, "The request signature"},
		{"host not signed", nil, replaceAuth(";host;", ";"), CodeSignatureDoesNotMatch, 403, msgHostNotSigned},
		{"signature", nil, func(r *http.Request, _ *[]byte) {
			a := r.Header.Get("Authorization")
			c := "0"
			if a[len(a)-1] == '0' {
				c = "1"
			}
			r.Header.Set("Authorization", a[:len(a)-1]+c)
		}, CodeSignatureDoesNotMatch, 403, mismatch},
		{"wrong secret", func(o *signOpts) { o.secret = "not-the-secret" }, nil, CodeSignatureDoesNotMatch, 403, mismatch},
		{"unknown key", nil, replaceAuth("Credential="+testAK, "Credential=AKIDUNKNOWN"), CodeInvalidClientTokenID, 403,
			"The security token included in the request is invalid."},
		{"no authorization", nil, func(r *http.Request, _ *[]byte) { r.Header.Del("Authorization") }, CodeMissingAuthenticationToken, 403,
			"Request is missing Authentication Token"},
		{"missing signature", nil, func(r *http.Request, _ *[]byte) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
		}, CodeIncompleteSignature, 400, "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/"},
		{"missing everything", nil, func(r *http.Request, _ *[]byte) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256")
			r.Header.Del("X-Amz-Date")
		}, CodeIncompleteSignature, 400, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{"credential parts", nil, replaceAuth("/aws4_request", ""), CodeIncompleteSignature, 400,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20250101/us-east-1/sqs'"},
		{"missing equal sign", nil, replaceAuth("Credential=", "Credential= "), CodeIncompleteSignature, 400,
			"'AKIDEXAMPLE/20250101/us-east-1/sqs/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE"},
		{"algorithm", nil, replaceAuth("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"), CodeIncompleteSignature, 400,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"},
		{"date format", nil, func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "2025-01-01T12:00:00Z") }, CodeIncompleteSignature, 400,
			"Date must be in ISO-8601 'basic format'. Got '2025-01-01T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"header and presigned", nil, func(r *http.Request, _ *[]byte) { r.URL.RawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256" }, CodeSignatureDoesNotMatch, 403, msgBothAuth},
		{"unsupported streaming", nil, func(r *http.Request, _ *[]byte) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		}, CodeIncompleteSignature, 400, "Unsupported x-amz-content-sha256 value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base
			if c.opts != nil {
				c.opts(&o)
			}
			r, body := o.build(t)
			if _, err := newVerifier("sqs").Verify(r, body); err != nil && c.opts == nil {
				t.Fatalf("untampered request refused: %v", err)
			}
			if c.mutate != nil {
				c.mutate(r, &body)
			}
			_, err := newVerifier("sqs").Verify(r, body)
			wantErr(t, err, c.code, c.status, c.msg)
		})
	}
}

func TestClockSkew(t *testing.T) {
	for _, c := range []struct {
		offset time.Duration
		msg    string
	}{
		{-14 * time.Minute, ""},
		{14 * time.Minute, ""},
		{-15 * time.Minute, ""},
		{-16 * time.Minute, "Signature expired: 20250101T114400Z is now earlier than 20250101T114500Z (20250101T120000Z - 15 min.)"},
		{16 * time.Minute, "Signature not yet current: 20250101T121600Z is still later than 20250101T121500Z (20250101T120000Z + 15 min.)"},
		{-24 * time.Hour, "Signature expired: 20241231T120000Z is now earlier than"},
	} {
		r, body := signOpts{body: "{}", at: testNow.Add(c.offset)}.build(t)
		_, err := newVerifier("sqs").Verify(r, body)
		if c.msg == "" {
			if err != nil {
				t.Errorf("offset %v: %v", c.offset, err)
			}
			continue
		}
		if e := wantErr(t, err, CodeSignatureDoesNotMatch, 403, c.msg); !e.Expired() {
			t.Errorf("offset %v: Expired() false", c.offset)
		}
	}
	// A custom MaxSkew.
	r, body := signOpts{body: "{}", at: testNow.Add(-2 * time.Minute)}.build(t)
	v := newVerifier("sqs")
	v.MaxSkew = time.Minute
	wantErr(t, mustErr(v.Verify(r, body)), CodeSignatureDoesNotMatch, 403, "Signature expired: 20250101T115800Z is now earlier than 20250101T115900Z (20250101T120000Z - 1 min.)")
}

func mustErr(_ Identity, err error) error { return err }

func TestKeyCacheSecretRotation(t *testing.T) {
	secret := testSecret
	v := newVerifier("sqs")
	v.Lookup = func(string) (Identity, bool) {
		id := testIdentity()
		id.SecretAccessKey = secret
		return id, true
	}
	r, body := signOpts{body: "{}"}.build(t)
	if _, err := v.Verify(r, body); err != nil {
		t.Fatal(err)
	}
	secret = "rotated"
	wantErr(t, mustErr(v.Verify(r, body)), CodeSignatureDoesNotMatch, 403, "The request signature")
	r, body = signOpts{body: "{}", secret: "rotated"}.build(t)
	if _, err := v.Verify(r, body); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveDotSegments(t *testing.T) {
	for in, want := range map[string]string{
		"/a/./b": "/a/b", "/a/../b": "/b", "/..": "/", "/a/.": "/a/", "/a/b/..": "/a/", "//x/./y": "//x/y",
	} {
		if got := removeDotSegments(in); got != want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", in, got, want)
		}
	}
}
