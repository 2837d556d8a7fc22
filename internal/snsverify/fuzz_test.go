package snsverify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// memTransport answers every request with one document, without a network.
type memTransport struct{ doc []byte }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/c.pem" {
		return nil, errors.New("no network in fuzzing")
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Body:       io.NopCloser(bytes.NewReader(m.doc)),
		Request:    r,
	}, nil
}

var sentinels = []error{
	ErrMalformed, ErrUnknownType, ErrUnsigned, ErrMissingField, ErrSignatureVersion,
	ErrCertURL, ErrCertHost, ErrCertFetch, ErrCertInvalid, ErrCertExpired, ErrBadSignature,
}

// FuzzVerify checks that Verify never panics, returns a message only
// without an error, and returns only its documented errors.
func FuzzVerify(f *testing.F) {
	k := key(f)
	doc := certPEM(f, k, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	const certURL = "http://sns.test/c.pem"
	for _, version := range []string{"1", "2"} {
		for _, msg := range []map[string]any{
			notification(certURL),
			confirmation(TypeSubscriptionConfirmation, certURL),
			confirmation(TypeUnsubscribeConfirmation, certURL),
		} {
			sign(f, k, version, msg)
			f.Add(body(f, msg))
		}
	}
	f.Add([]byte(`{"Type":"Notification","Signature":"AAAA","SignatureVersion":"1","SigningCertURL":"http://sns.test/x.pem"}`))
	f.Add([]byte(`{"Type":"Notification","MessageAttributes":{"a":{"Type":"String","Value":"v"}}}`))
	f.Add([]byte(`{"Message":"a","message":"b"}`))
	f.Add([]byte(`not json`))

	v := New(Options{
		HostPattern: regexp.MustCompile(`^sns\.test$`),
		AllowHTTP:   true,
		Client:      &http.Client{Transport: memTransport{doc}},
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := v.Verify(context.Background(), data)
		if err != nil {
			if m != nil {
				t.Fatalf("message returned with error %v", err)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("undocumented error: %v", err)
		}
		if m == nil || m.Signature == "" || (m.SignatureVersion != "1" && m.SignatureVersion != "2") {
			t.Fatalf("verified message %+v", m)
		}
	})
}
