package format

import (
	"encoding/json"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/herald-dev/herald/publisher"
)

// s3Notification is what the seed's SQS listener reads from a message body.
type s3Notification struct {
	Records []struct {
		S3 struct {
			Object struct {
				Key       string      `json:"key"`
				Size      json.Number `json:"size"`
				ETag      string      `json:"eTag"`
				Sequencer string      `json:"sequencer"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

func s3Event(key string, seq int64) *publisher.Event {
	return event(func(ev *publisher.Event) {
		ev.EntityType, ev.EntityID, ev.Type, ev.Status, ev.Sequence = "object", key, "ObjectCreated:Put", "", seq
		ev.Data = json.RawMessage(`{"bucket":"archive","size":11805,"eTag":"9876543210abcdef9876543210abcdef"}`)
	})
}

func TestS3RecordsConsumerFields(t *testing.T) {
	t.Parallel()
	key := "1234567/abcd1234-1234-abcd-5678-1234abcd1234/20200609125740-1234567890abcdef1234567890abcdef"
	m := render(t, "s3-records", "", s3Event(key, 7))
	var n s3Notification
	if err := json.Unmarshal(m.Body, &n); err != nil {
		t.Fatal(err)
	}
	if len(n.Records) != 1 {
		t.Fatalf("%d records, want 1", len(n.Records))
	}
	o := n.Records[0].S3.Object
	if o.Key != key || o.Size != "11805" || o.ETag != "9876543210abcdef9876543210abcdef" || o.Sequencer != "000000000000000007" {
		t.Errorf("object = %+v", o)
	}
	if m.Subject != "Amazon S3 Notification" {
		t.Errorf("subject = %q", m.Subject)
	}
}

// TestS3RecordsShape checks every member of the record, in S3's order.
func TestS3RecordsShape(t *testing.T) {
	t.Parallel()
	m := render(t, "s3-records", "", s3Event("k", 1))
	if got := keys(t, m.Body); !slices.Equal(got, []string{"Records"}) {
		t.Fatalf("keys = %v", got)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(m.Body, &doc); err != nil {
		t.Fatal(err)
	}
	rec := doc.Records[0]
	want := []string{"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
		"userIdentity", "requestParameters", "responseElements", "s3"}
	if got := keys(t, rec); !slices.Equal(got, want) {
		t.Errorf("record keys = %v, want %v", got, want)
	}
	s3 := valueOf(t, rec, "s3")
	for _, c := range []struct {
		raw  json.RawMessage
		want []string
	}{
		{s3, []string{"s3SchemaVersion", "configurationId", "bucket", "object"}},
		{valueOf(t, s3, "bucket"), []string{"name", "ownerIdentity", "arn"}},
		{valueOf(t, s3, "object"), []string{"key", "size", "eTag", "sequencer"}},
		{valueOf(t, rec, "responseElements"), []string{"x-amz-request-id", "x-amz-id-2"}},
	} {
		if got := keys(t, c.raw); !slices.Equal(got, c.want) {
			t.Errorf("keys of %s = %v, want %v", c.raw, got, c.want)
		}
	}
	for k, v := range map[string]string{"eventVersion": `"2.1"`, "eventSource": `"aws:s3"`,
		"awsRegion": `"us-east-1"`, "eventTime": `"2023-11-27T10:40:45.123Z"`, "eventName": `"ObjectCreated:Put"`} {
		if got := string(valueOf(t, rec, k)); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	if got := string(valueOf(t, valueOf(t, s3, "bucket"), "arn")); got != `"arn:aws:s3:::archive"` {
		t.Errorf("arn = %s", got)
	}
}

// TestSequencer checks that a later event's sequencer sorts after an
// earlier one's, as strings and as hexadecimal numbers.
func TestSequencer(t *testing.T) {
	t.Parallel()
	seqs := []int64{1, 2, 9, 10, 15, 16, 255, 256, 1 << 32, 1<<40 + 1, math.MaxInt64}
	var prev string
	for _, seq := range seqs {
		m := render(t, "s3-records", "", s3Event("k", seq))
		var n s3Notification
		if err := json.Unmarshal(m.Body, &n); err != nil {
			t.Fatal(err)
		}
		got := n.Records[0].S3.Object.Sequencer
		if got != Sequencer(seq) || len(got) != 18 || strings.ToUpper(got) != got {
			t.Errorf("sequence %d: sequencer %q", seq, got)
		}
		if prev != "" && got <= prev {
			t.Errorf("sequencer %q for %d does not sort after %q", got, seq, prev)
		}
		prev = got
	}
}

func TestS3Key(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"red flower.jpg": "red+flower.jpg",
		"a/b/c.txt":      "a/b/c.txt",
		"x:y=z&w":        "x%3Ay%3Dz%26w",
		"plus+sign":      "plus%2Bsign",
		"ünï":            "%C3%BCn%C3%AF",
	} {
		got := s3Key(key)
		if got != want {
			t.Errorf("s3Key(%q) = %q, want %q", key, got, want)
		}
		if back, err := url.QueryUnescape(got); err != nil || back != key {
			t.Errorf("s3Key(%q) = %q decodes to %q, %v", key, got, back, err)
		}
	}
}
