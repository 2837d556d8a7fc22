package sigv4

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAK     = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
	testAcct   = "000000000000"
)

var testNow = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func testIdentity() Identity {
	return Identity{
		AccessKeyID: testAK, SecretAccessKey: testSecret, Account: testAcct,
		PrincipalARN: "arn:aws:iam::" + testAcct + ":user/test", PrincipalID: "AIDATEST",
	}
}

func lookup(ak string) (Identity, bool) {
	if ak == testAK {
		return testIdentity(), true
	}
	return Identity{}, false
}

func newVerifier(service string) *Verifier {
	return &Verifier{Lookup: lookup, Service: service, Region: testRegion, Now: func() time.Time { return testNow }}
}

// signOpts describes one request signed with the Go SDK's signer.
type signOpts struct {
	method, url, body string
	header            http.Header
	at                time.Time
	service, region   string
	secret, token     string
	payloadHash       string
}

func (o signOpts) build(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	if o.method == "" {
		o.method = http.MethodPost
	}
	if o.url == "" {
		o.url = "http://localhost:4566/"
	}
	if o.at.IsZero() {
		o.at = testNow
	}
	if o.service == "" {
		o.service = "sqs"
	}
	if o.region == "" {
		o.region = testRegion
	}
	if o.secret == "" {
		o.secret = testSecret
	}
	var body io.Reader
	if o.body != "" {
		body = strings.NewReader(o.body)
	}
	r := httptest.NewRequest(o.method, o.url, body)
	for k, vs := range o.header {
		r.Header[k] = append([]string(nil), vs...)
	}
	ph := o.payloadHash
	if ph == "" {
		var h [64]byte
		hashHex(&h, []byte(o.body))
		ph = string(h[:])
	}
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: o.secret, SessionToken: o.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, ph, o.service, o.region, o.at); err != nil {
		t.Fatal(err)
	}
	return r, []byte(o.body)
}

// wantErr checks that err is an *Error with code and status and a message
// starting with msgPrefix.
func wantErr(t *testing.T, err error, code string, status int, msgPrefix string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want *Error %s", err, err, code)
	}
	if e.Code != code || e.Status != status || !strings.HasPrefix(e.Message, msgPrefix) {
		t.Fatalf("got %s %d %q\nwant %s %d %q…", e.Code, e.Status, e.Message, code, status, msgPrefix)
	}
	return e
}
