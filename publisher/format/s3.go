package format

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"

	"github.com/herald-dev/herald/publisher"
)

// s3Records renders an Amazon S3 event notification with one record, in
// the shape (and key order) of S3's event message structure, version 2.1:
//
//	{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":...,
//	  "eventTime":"2020-06-09T12:57:40.000Z","eventName":"ObjectCreated:Put",
//	  "userIdentity":{"principalId":...},"requestParameters":{"sourceIPAddress":...},
//	  "responseElements":{"x-amz-request-id":...,"x-amz-id-2":...},
//	  "s3":{"s3SchemaVersion":"1.0","configurationId":...,
//	        "bucket":{"name":...,"ownerIdentity":{"principalId":...},"arn":"arn:aws:s3:::<bucket>"},
//	        "object":{"key":...,"size":...,"eTag":...,"versionId":...,"sequencer":...}}}]}
//
// The object key is the entity ID, URL-encoded as S3 does ("red
// flower.jpg" becomes "red+flower.jpg"; "/" is kept). eventTime is the
// event's occurred-at time in UTC with milliseconds. The sequencer is the
// event's Sequence as 18 upper-case hexadecimal digits, so that, as with
// S3's, a later event for the same key has a greater sequencer in both
// string and numeric order; Sequence must be positive.
//
// Data is an object with these fields (all strings except size):
//
//	bucket            the bucket name (required)
//	size, eTag        the object's size in bytes (an integer) and ETag;
//	                  required unless eventName is ObjectRemoved:*, whose
//	                  records have neither
//	region            awsRegion (default "us-east-1"); also picks the ARN partition
//	eventName         (default: the event type when it is an S3 event name
//	                  such as "ObjectCreated:Copy", else "ObjectCreated:Put")
//	versionId         included only when present
//	principalId       userIdentity.principalId (default "HERALD")
//	sourceIPAddress   (default "127.0.0.1")
//	configurationId   (default "herald")
//	ownerPrincipalId  bucket.ownerIdentity.principalId (default: the tenant)
//	requestId, hostId x-amz-request-id and x-amz-id-2 (default: derived
//	                  from the event ID, so a redelivery repeats them)
//
// The Subject is "Amazon S3 Notification", as S3 sets it when it publishes
// to SNS. The only version is "2.1".
type s3Records struct{}

func (s3Records) Name() string { return "s3-records" }

func (f s3Records) Render(ev *publisher.Event, version string) (*Message, error) {
	v, err := checkVersion(f.Name(), version, "2.1")
	if err != nil {
		return nil, err
	}
	if err := checkEvent(f.Name(), ev, "id", "tenant", "entity_id", "occurred_at"); err != nil {
		return nil, err
	}
	if ev.Sequence < 1 {
		return nil, cannot(f.Name(), "sequence must be positive, got %d", ev.Sequence)
	}
	if len(ev.Data) == 0 {
		return nil, cannot(f.Name(), "data is required: at least the bucket, size and eTag")
	}
	data, err := parseObject(ev.Data)
	if err != nil {
		return nil, cannot(f.Name(), "data must be an object: %v", err)
	}
	// str returns data's string at key, or def; the first error is kept.
	var firstErr error
	str := func(key, def string) string {
		s, ok, err := data.stringField(key)
		if err != nil && firstErr == nil {
			firstErr = cannot(f.Name(), "%v", err)
		}
		if !ok || s == "" {
			return def
		}
		return s
	}
	defaultName := "ObjectCreated:Put"
	if strings.HasPrefix(ev.Type, "Object") && strings.Contains(ev.Type, ":") {
		defaultName = ev.Type
	}
	bucket := str("bucket", "")
	region := str("region", "us-east-1")
	eventName := str("eventName", defaultName)
	principal := str("principalId", "HERALD")
	sourceIP := str("sourceIPAddress", "127.0.0.1")
	configID := str("configurationId", "herald")
	owner := str("ownerPrincipalId", ev.Tenant)
	reqID := str("requestId", requestID(ev.ID))
	amzID2 := str("hostId", hostID(ev.ID))
	versionID := str("versionId", "")
	eTag := str("eTag", "")
	if firstErr != nil {
		return nil, firstErr
	}
	if bucket == "" {
		return nil, cannot(f.Name(), "data.bucket is required")
	}

	obj := object{}.add("key", jsonString(s3Key(ev.EntityID)))
	if !strings.HasPrefix(eventName, "ObjectRemoved:") {
		size, ok := data.get("size")
		if !ok || kind(size) == 'z' {
			return nil, cannot(f.Name(), "data.size is required for %s", eventName)
		}
		if kind(size) != 'n' {
			return nil, cannot(f.Name(), "data.size must be a number")
		}
		if _, err := strconv.ParseUint(string(size), 10, 64); err != nil {
			return nil, cannot(f.Name(), "data.size must be a non-negative integer, got %s", size)
		}
		if eTag == "" {
			return nil, cannot(f.Name(), "data.eTag is required for %s", eventName)
		}
		obj = obj.add("size", size).add("eTag", jsonString(eTag))
	}
	if versionID != "" {
		obj = obj.add("versionId", jsonString(versionID))
	}
	obj = obj.add("sequencer", jsonString(Sequencer(ev.Sequence)))

	bucketObj := object{}.
		add("name", jsonString(bucket)).
		add("ownerIdentity", mustRaw(object{}.add("principalId", jsonString(owner)))).
		add("arn", jsonString("arn:"+partition(region)+":s3:::"+bucket))
	s3 := object{}.
		add("s3SchemaVersion", jsonString("1.0")).
		add("configurationId", jsonString(configID)).
		add("bucket", mustRaw(bucketObj)).
		add("object", mustRaw(obj))
	record := object{}.
		add("eventVersion", jsonString(v)).
		add("eventSource", jsonString("aws:s3")).
		add("awsRegion", jsonString(region)).
		add("eventTime", jsonString(ev.OccurredAt.UTC().Format("2006-01-02T15:04:05.000Z"))).
		add("eventName", jsonString(eventName)).
		add("userIdentity", mustRaw(object{}.add("principalId", jsonString(principal)))).
		add("requestParameters", mustRaw(object{}.add("sourceIPAddress", jsonString(sourceIP)))).
		add("responseElements", mustRaw(object{}.
			add("x-amz-request-id", jsonString(reqID)).
			add("x-amz-id-2", jsonString(amzID2)))).
		add("s3", mustRaw(s3))
	body := append([]byte(`{"Records":[`), mustRaw(record)...)
	body = append(body, "]}"...)
	return &Message{Body: body, Subject: "Amazon S3 Notification", ContentType: ContentTypeJSON}, nil
}

// Sequencer returns the s3-records sequencer for an event sequence number:
// 18 upper-case hexadecimal digits, as S3 writes them, so that string and
// numeric order agree.
func Sequencer(sequence int64) string {
	return fmt.Sprintf("%018X", uint64(sequence))
}

// s3Key URL-encodes an object key as S3 event notifications do: form
// encoding (space → '+'), with '/' left as is.
func s3Key(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// partition returns the ARN partition of an AWS region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// requestID derives an S3-style request id (16 upper-case hex digits) from
// the event ID.
func requestID(eventID string) string {
	h := fnv.New64a()
	h.Write([]byte(eventID))
	return fmt.Sprintf("%016X", h.Sum64())
}

// hostID derives an x-amz-id-2 value from the event ID.
func hostID(eventID string) string {
	sum := sha256.Sum256([]byte("x-amz-id-2:" + eventID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// mustRaw encodes an object built from valid values.
func mustRaw(o object) []byte {
	b, err := o.raw()
	if err != nil {
		panic("format: building JSON: " + err.Error())
	}
	return b
}
