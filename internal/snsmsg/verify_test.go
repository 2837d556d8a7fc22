package snsmsg_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/snsmsg"
	"github.com/herald-dev/herald/internal/snsverify"
)

// TestVerifiedIndependently signs with snsmsg and verifies with snsverify,
// which was written separately from AWS's documentation: a mistake in
// either the string to sign or the JSON layout fails here.
func TestVerifiedIndependently(t *testing.T) {
	t.Parallel()
	s, err := snsmsg.Ephemeral()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /"+s.CertName(), func(w http.ResponseWriter, _ *http.Request) {
		w.Write(s.CertPEM())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	v := snsverify.New(snsverify.Options{
		HostPattern: regexp.MustCompile(`^127\.0\.0\.1$`),
		AllowHTTP:   true,
		Client:      srv.Client(),
	})
	certURL := srv.URL + "/" + s.CertName()
	ts := snsmsg.FormatTimestamp(time.Now())
	attrs := map[string]snsmsg.Attribute{"k": {Type: "String", Value: "<v>"}}

	messages := []snsmsg.Message{
		{Type: snsmsg.TypeNotification, MessageId: "m1", TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
			Message: "hello", Timestamp: ts, UnsubscribeURL: srv.URL + "/?Action=Unsubscribe"},
		{Type: snsmsg.TypeNotification, MessageId: "m2", TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
			Subject: "subject <&> \"q\"", Message: "{\"a\":\"<b>&\\n\"}\nline2\t\u2028 é 🙂 \x00",
			Timestamp: ts, MessageAttributes: attrs},
		{Type: snsmsg.TypeNotification, MessageId: "m3", TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
			Message: "", Timestamp: ts},
		{Type: snsmsg.TypeSubscriptionConfirmation, MessageId: "m4", Token: "tok",
			TopicArn: "arn:aws:sns:us-east-1:000000000000:t", Message: "You have chosen to subscribe.\nVisit it.",
			SubscribeURL: srv.URL + "/?Action=ConfirmSubscription&TopicArn=arn&Token=tok", Timestamp: ts},
		{Type: snsmsg.TypeUnsubscribeConfirmation, MessageId: "m5", Token: "tok",
			TopicArn: "arn:aws:sns:us-east-1:000000000000:t", Message: "You have chosen to deactivate.",
			SubscribeURL: srv.URL + "/?Action=ConfirmSubscription&Token=tok", Timestamp: ts},
	}
	for _, version := range []string{"1", "2"} {
		for _, m := range messages {
			m.SignatureVersion = version
			m.SigningCertURL = certURL
			if err := s.Sign(&m); err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(context.Background(), m.Marshal())
			if err != nil {
				t.Errorf("%s v%s: %v\n%s", m.MessageId, version, err, m.Marshal())
				continue
			}
			if got.Message != m.Message || got.Subject != m.Subject || got.Type != m.Type {
				t.Errorf("%s v%s: verified %+v", m.MessageId, version, got)
			}
		}
	}
}
