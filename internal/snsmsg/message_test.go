package snsmsg

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The golden layouts follow the examples on AWS's "HTTP/HTTPS notification
// JSON format" and "HTTP/HTTPS subscription confirmation JSON format" pages
// and notifications captured from SQS queues subscribed to SNS topics.

func TestMarshalNotification(t *testing.T) {
	t.Parallel()
	m := &Message{
		Type:             TypeNotification,
		MessageId:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:         "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:          "My First Message",
		Message:          "Hello world!",
		Timestamp:        "2012-05-02T00:54:06.655Z",
		SignatureVersion: "1",
		Signature:        "EXAMPLEw6JRN...",
		SigningCertURL:   "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		UnsubscribeURL:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
		MessageAttributes: map[string]Attribute{
			"b": {Type: "Number", Value: "1"},
			"a": {Type: "String", Value: "x"},
		},
	}
	want := `{
  "Type" : "Notification",
  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Subject" : "My First Message",
  "Message" : "Hello world!",
  "Timestamp" : "2012-05-02T00:54:06.655Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEw6JRN...",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
  "MessageAttributes" : {
    "a" : {"Type":"String","Value":"x"},
    "b" : {"Type":"Number","Value":"1"}
  }
}`
	if got := string(m.Marshal()); got != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}

	// Without a subject or attributes, those keys are absent.
	m.Subject, m.MessageAttributes = "", nil
	got := string(m.Marshal())
	for _, k := range []string{`"Subject"`, `"MessageAttributes"`, `"Token"`, `"SubscribeURL"`, `"SequenceNumber"`} {
		if strings.Contains(got, k) {
			t.Errorf("Marshal without %s wrote it:\n%s", k, got)
		}
	}
}

func TestMarshalSubscriptionConfirmation(t *testing.T) {
	t.Parallel()
	m := &Message{
		Type:             TypeSubscriptionConfirmation,
		MessageId:        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:            "2336412f37...",
		TopicArn:         "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Message:          "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37...",
		Timestamp:        "2012-04-26T20:45:04.751Z",
		SignatureVersion: "1",
		Signature:        "EXAMPLEpH+...",
		SigningCertURL:   "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
	}
	want := `{
  "Type" : "SubscriptionConfirmation",
  "MessageId" : "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
  "Token" : "2336412f37...",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Message" : "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
  "SubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37...",
  "Timestamp" : "2012-04-26T20:45:04.751Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEpH+...",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
}`
	if got := string(m.Marshal()); got != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
	m.Type = TypeUnsubscribeConfirmation
	if got := string(m.Marshal()); got != strings.Replace(want, "SubscriptionConfirmation", "UnsubscribeConfirmation", 1) {
		t.Errorf("UnsubscribeConfirmation layout differs:\n%s", got)
	}
}

func TestMarshalFIFONotification(t *testing.T) {
	t.Parallel()
	m := &Message{
		Type:           TypeNotification,
		MessageId:      "a811567b-7f70-5b33-b42e-36275bea37f2",
		SequenceNumber: "10000000000000003000",
		TopicArn:       "arn:aws:sns:us-east-1:123456789012:demo-topic.fifo",
		Subject:        "s",
		Message:        "group-1 - Message 1",
		Timestamp:      "2025-03-25T03:26:18.422Z",
		UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
	}
	want := `{
  "Type" : "Notification",
  "MessageId" : "a811567b-7f70-5b33-b42e-36275bea37f2",
  "SequenceNumber" : "10000000000000003000",
  "TopicArn" : "arn:aws:sns:us-east-1:123456789012:demo-topic.fifo",
  "Subject" : "s",
  "Message" : "group-1 - Message 1",
  "Timestamp" : "2025-03-25T03:26:18.422Z",
  "UnsubscribeURL" : "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"
}`
	if got := string(m.Marshal()); got != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
}

func TestMarshalEscaping(t *testing.T) {
	t.Parallel()
	m := &Message{
		Type:      TypeNotification,
		MessageId: "id",
		TopicArn:  "arn",
		Message:   "<a href=\"x\">&amp;</a> \\ \n\r\t\b\f\x00\x1f\x7f é 世界 \u2028 🙂",
		Timestamp: "2012-05-02T00:54:06.655Z",
		MessageAttributes: map[string]Attribute{
			"<k>": {Type: "String", Value: "a&b"},
		},
	}
	out := string(m.Marshal())
	wantMsg := `"Message" : "<a href=\"x\">&amp;</a> \\ \n\r\t\b\f\u0000\u001f` + "\x7f é 世界 \u2028 🙂" + `"`
	if !strings.Contains(out, wantMsg) {
		t.Errorf("Message written as:\n%s\nwant it to contain:\n%s", out, wantMsg)
	}
	if !strings.Contains(out, `"<k>" : {"Type":"String","Value":"a&b"}`) {
		t.Errorf("attribute HTML-escaped:\n%s", out)
	}
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if strings.Contains(out, esc) {
			t.Errorf("output contains HTML escape %s", esc)
		}
	}
	back, err := Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", back, m)
	}
}

func TestMarshalInvalidUTF8(t *testing.T) {
	t.Parallel()
	m := &Message{Type: TypeNotification, Message: "a\xffb"}
	out := m.Marshal()
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	if !strings.Contains(string(out), `"a\ufffdb"`) {
		t.Errorf("bad byte not replaced: %s", out)
	}
}

func TestFormatTimestamp(t *testing.T) {
	t.Parallel()
	est := time.FixedZone("EST", -5*3600)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2012, 4, 26, 20, 45, 4, 751_000_000, time.UTC), "2012-04-26T20:45:04.751Z"},
		{time.Date(2012, 4, 26, 20, 45, 4, 0, time.UTC), "2012-04-26T20:45:04.000Z"},
		{time.Date(2012, 4, 26, 20, 45, 4, 5_000_000, time.UTC), "2012-04-26T20:45:04.005Z"},
		{time.Date(2012, 4, 26, 20, 45, 4, 999_999_999, time.UTC), "2012-04-26T20:45:04.999Z"},
		{time.Date(2012, 4, 26, 15, 45, 4, 100_000_000, est), "2012-04-26T20:45:04.100Z"},
	} {
		if got := FormatTimestamp(tc.in); got != tc.want {
			t.Errorf("FormatTimestamp(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzMarshal checks that Marshal always writes valid JSON that parses back
// to the message it was given.
func FuzzMarshal(f *testing.F) {
	f.Add("Notification", "hello <&> \"q\" \n", "subj", "k", "v")
	f.Add("SubscriptionConfirmation", "\x00\u2028\u2029\x7f", "", "", "")
	f.Add("x", "\xff", "é", "\\", "\t")
	f.Fuzz(func(t *testing.T, typ, msg, subject, attrName, attrValue string) {
		m := &Message{
			Type: typ, MessageId: "id", TopicArn: "arn", Subject: subject,
			Message: msg, Timestamp: "2012-05-02T00:54:06.655Z",
		}
		if attrName != "" {
			m.MessageAttributes = map[string]Attribute{attrName: {Type: "String", Value: attrValue}}
		}
		out := m.Marshal()
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{typ, msg, subject, attrName, attrValue} {
			if !utf8.ValidString(s) {
				return // replaced by U+FFFD, not expected to round-trip
			}
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip:\n%+v\nwant\n%+v", back, m)
		}
	})
}

// FuzzParse checks that Parse does not panic and that what it accepts
// survives Marshal and Parse again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Type":"Notification","MessageId":"1","TopicArn":"a","Message":"m","Timestamp":"t","MessageAttributes":{"a":{"Type":"String","Value":"v"}}}`))
	f.Add([]byte(`{"Type" : "SubscriptionConfirmation", "Token" : "t", "SubscribeURL" : "u"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"Message":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		if len(m.MessageAttributes) == 0 {
			m.MessageAttributes = nil
		}
		back, err := Parse(m.Marshal())
		if err != nil {
			t.Fatalf("Marshal output does not parse: %v\n%s", err, m.Marshal())
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip:\n%+v\nwant\n%+v", back, m)
		}
	})
}
