package snsmsg

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"regexp"
	"sync"
	"testing"
)

// testSigner is shared: generating RSA keys is slow.
var testSigner = sync.OnceValues(Ephemeral)

func signer(t testing.TB) *Signer {
	t.Helper()
	s, err := testSigner()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStringToSign(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    Message
		want string
	}{
		{
			// The example on AWS's "Verifying the signatures of Amazon SNS
			// messages" page.
			name: "notification with subject",
			m: Message{
				Type: TypeNotification, MessageId: "4d4dc071-ddbf-465d-bba8-08f81c89da64",
				TopicArn: "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
				Subject:  "My subject", Message: "My Test Message", Timestamp: "2012-06-05T04:37:04.321Z",
				UnsubscribeURL: "https://example/unsub", SequenceNumber: "1",
				SignatureVersion: "1", Signature: "sig", SigningCertURL: "https://example/c.pem",
				MessageAttributes: map[string]Attribute{"a": {Type: "String", Value: "b"}},
			},
			want: "Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\n" +
				"Subject\nMy subject\nTimestamp\n2012-06-05T04:37:04.321Z\n" +
				"TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nNotification\n",
		},
		{
			name: "notification without subject, raw control characters",
			m: Message{
				Type: TypeNotification, MessageId: "id", TopicArn: "arn", Timestamp: "ts",
				Message: "line1\nline2 \"q\" <&> \\",
			},
			want: "Message\nline1\nline2 \"q\" <&> \\\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n",
		},
		{
			name: "notification with empty message",
			m:    Message{Type: TypeNotification, MessageId: "id", TopicArn: "arn", Timestamp: "ts"},
			want: "Message\n\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n",
		},
		{
			name: "subscription confirmation",
			m: Message{
				Type: TypeSubscriptionConfirmation, MessageId: "3d891288-136d-417f-bc05-901c108273ee",
				Token: "tok", TopicArn: "arn", Message: "My Test Message",
				SubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=tok",
				Timestamp:    "2012-06-03T19:25:13.719Z", Subject: "ignored",
			},
			want: "Message\nMy Test Message\nMessageId\n3d891288-136d-417f-bc05-901c108273ee\n" +
				"SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=tok\n" +
				"Timestamp\n2012-06-03T19:25:13.719Z\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n",
		},
		{
			name: "unsubscribe confirmation",
			m: Message{
				Type: TypeUnsubscribeConfirmation, MessageId: "m", Token: "t", TopicArn: "a",
				Message: "x", SubscribeURL: "u", Timestamp: "ts",
			},
			want: "Message\nx\nMessageId\nm\nSubscribeURL\nu\nTimestamp\nts\nToken\nt\nTopicArn\na\nType\nUnsubscribeConfirmation\n",
		},
	} {
		got, err := StringToSign(&tc.m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}

func TestStringToSignErrors(t *testing.T) {
	t.Parallel()
	ok := Message{Type: TypeSubscriptionConfirmation, MessageId: "m", Token: "t", TopicArn: "a", SubscribeURL: "u", Timestamp: "ts"}
	for _, tc := range []struct {
		name   string
		mutate func(*Message)
		want   error
	}{
		{"unknown type", func(m *Message) { m.Type = "Other" }, ErrUnknownType},
		{"no type", func(m *Message) { m.Type = "" }, ErrUnknownType},
		{"no message id", func(m *Message) { m.MessageId = "" }, ErrMissingField},
		{"no token", func(m *Message) { m.Token = "" }, ErrMissingField},
		{"no subscribe url", func(m *Message) { m.SubscribeURL = "" }, ErrMissingField},
		{"no timestamp", func(m *Message) { m.Timestamp = "" }, ErrMissingField},
		{"no topic", func(m *Message) { m.TopicArn = "" }, ErrMissingField},
		{"bad utf-8", func(m *Message) { m.Message = "\xff" }, ErrInvalidUTF8},
	} {
		m := ok
		tc.mutate(&m)
		if _, err := StringToSign(&m); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSign(t *testing.T) {
	t.Parallel()
	s := signer(t)
	block, _ := pem.Decode(s.CertPEM())
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)

	for _, version := range []string{"", "1", "2"} {
		m := &Message{
			Type: TypeNotification, MessageId: "id", TopicArn: "arn", Subject: "s",
			Message: "hello <&>\n", Timestamp: "2012-05-02T00:54:06.655Z", SignatureVersion: version,
		}
		if err := s.Sign(m); err != nil {
			t.Fatalf("version %q: %v", version, err)
		}
		want := version
		if want == "" {
			want = "1"
		}
		if m.SignatureVersion != want {
			t.Errorf("version %q: SignatureVersion = %q, want %q", version, m.SignatureVersion, want)
		}
		sig, err := base64.StdEncoding.DecodeString(m.Signature)
		if err != nil {
			t.Fatalf("version %q: signature not base64: %v", version, err)
		}
		text, _ := StringToSign(m)
		var hash crypto.Hash
		var digest []byte
		if want == "1" {
			sum := sha1.Sum([]byte(text))
			hash, digest = crypto.SHA1, sum[:]
		} else {
			sum := sha256.Sum256([]byte(text))
			hash, digest = crypto.SHA256, sum[:]
		}
		if err := rsa.VerifyPKCS1v15(pub, hash, digest, sig); err != nil {
			t.Errorf("version %q: signature does not verify: %v", version, err)
		}
		// The other hash must not verify: the version decides the hash.
		other := crypto.SHA256
		otherSum := sha256.Sum256([]byte(text))
		otherDigest := otherSum[:]
		if want == "2" {
			s1 := sha1.Sum([]byte(text))
			other, otherDigest = crypto.SHA1, s1[:]
		}
		if rsa.VerifyPKCS1v15(pub, other, otherDigest, sig) == nil {
			t.Errorf("version %q: signature verifies with the wrong hash", version)
		}
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	s := signer(t)
	m := &Message{Type: TypeNotification, MessageId: "id", TopicArn: "arn", Timestamp: "ts", SignatureVersion: "3"}
	if err := s.Sign(m); !errors.Is(err, ErrSignatureVersion) {
		t.Errorf("version 3: err = %v", err)
	}
	if m.Signature != "" || m.SignatureVersion != "3" {
		t.Errorf("failed Sign changed the message: %+v", m)
	}
	m = &Message{Type: "Other"}
	if err := s.Sign(m); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type: err = %v", err)
	}
	if m.SignatureVersion != "" {
		t.Errorf("failed Sign set SignatureVersion")
	}
}

func TestCertName(t *testing.T) {
	t.Parallel()
	s := signer(t)
	if !regexp.MustCompile(`^SimpleNotificationService-[0-9a-f]{32}\.pem$`).MatchString(s.CertName()) {
		t.Errorf("CertName = %q", s.CertName())
	}
	sum := sha256.Sum256(s.Certificate().Raw)
	if want := "SimpleNotificationService-" + hex.EncodeToString(sum[:])[:32] + ".pem"; s.CertName() != want {
		t.Errorf("CertName = %q, want %q", s.CertName(), want)
	}
}

func TestNewSignerMismatch(t *testing.T) {
	t.Parallel()
	s := signer(t)
	other, err := Ephemeral()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(s.key, other.CertPEM()); err == nil {
		t.Error("NewSigner accepted a certificate for another key")
	}
	if _, err := NewSigner(s.key, []byte("not pem")); err == nil {
		t.Error("NewSigner accepted garbage")
	}
	if _, err := NewSigner(nil, s.CertPEM()); err == nil {
		t.Error("NewSigner accepted a nil key")
	}
	if _, err := NewSigner(s.key, s.CertPEM()); err != nil {
		t.Errorf("NewSigner(key, its cert): %v", err)
	}
}
