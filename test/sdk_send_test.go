package test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func strAttr(typ, v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
}

func binAttr(typ string, v []byte) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String(typ), BinaryValue: v}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSendMessageAttributes(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "attrs"))

	// The test vectors of aws-wire-facts.md.
	vectors := []struct {
		desc  string
		attrs map[string]types.MessageAttributeValue
		md5   string
	}{
		{"String", map[string]types.MessageAttributeValue{"attribName1": strAttr("String", "attribValue 1")}, "19e27d4e946b072f3f58da80d94fd778"},
		{"Number.float", map[string]types.MessageAttributeValue{"customNumberTypeAttrib": strAttr("Number.float", "4563442423554324324264524243.32543234")}, "9fe1b90bbd9965bdf77bac517c7d2495"},
		{"Binary", map[string]types.MessageAttributeValue{"binaryAttribute": binAttr("Binary", []byte("Hello binary world!"))}, "31a92b15d92f8db860eda32aceb656c3"},
		{"all three", map[string]types.MessageAttributeValue{
			"attribName1":            strAttr("String", "attribValue 1"),
			"customNumberTypeAttrib": strAttr("Number.float", "4563442423554324324264524243.32543234"),
			"binaryAttribute":        binAttr("Binary", []byte("Hello binary world!")),
		}, "c932db14a896c663f83c260297d594ff"},
		{"custom String and Binary labels", map[string]types.MessageAttributeValue{
			"s":     strAttr("String.custom", "x y z"),
			"n":     strAttr("Number", "-12.5e3"),
			"b":     binAttr("Binary.gif", []byte{0, 1, 2, 255}),
			"uni":   strAttr("String", "héllo ✓ \U0001F600"),
			"a.b-c": strAttr("String", "dotted"),
		}, ""},
	}
	for _, v := range vectors {
		t.Run(v.desc, func(t *testing.T) {
			body := "attrs " + v.desc
			out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageAttributes: v.attrs})
			if err != nil {
				t.Fatal(err) // includes the SDK's own MD5 checks
			}
			if v.md5 != "" && aws.ToString(out.MD5OfMessageAttributes) != v.md5 {
				t.Errorf("MD5OfMessageAttributes = %s, want %s", aws.ToString(out.MD5OfMessageAttributes), v.md5)
			}
			if aws.ToString(out.MD5OfMessageBody) != md5hex(body) {
				t.Errorf("MD5OfMessageBody = %s, want %s", aws.ToString(out.MD5OfMessageBody), md5hex(body))
			}
			ms := receive(t, c, url, 1, 5)
			if len(ms) != 1 {
				t.Fatalf("received %d messages, want 1", len(ms))
			}
			m := ms[0]
			if aws.ToString(m.MessageId) != aws.ToString(out.MessageId) || aws.ToString(m.Body) != body {
				t.Errorf("received %s %q, want %s %q", aws.ToString(m.MessageId), aws.ToString(m.Body), aws.ToString(out.MessageId), body)
			}
			if v.md5 != "" && aws.ToString(m.MD5OfMessageAttributes) != v.md5 {
				t.Errorf("received MD5OfMessageAttributes = %s, want %s", aws.ToString(m.MD5OfMessageAttributes), v.md5)
			}
			if len(m.MessageAttributes) != len(v.attrs) {
				t.Errorf("received %d attributes, want %d", len(m.MessageAttributes), len(v.attrs))
			}
			for name, want := range v.attrs {
				got, ok := m.MessageAttributes[name]
				if !ok {
					t.Errorf("attribute %s missing", name)
					continue
				}
				if aws.ToString(got.DataType) != aws.ToString(want.DataType) || aws.ToString(got.StringValue) != aws.ToString(want.StringValue) || !bytes.Equal(got.BinaryValue, want.BinaryValue) {
					t.Errorf("attribute %s = {%s %q %x}, want {%s %q %x}", name,
						aws.ToString(got.DataType), aws.ToString(got.StringValue), got.BinaryValue,
						aws.ToString(want.DataType), aws.ToString(want.StringValue), want.BinaryValue)
				}
			}
			deleteMsg(t, c, url, m)
		})
	}
}

func TestSendMessageValidation(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "val"))

	t.Run("valid body characters", func(t *testing.T) {
		for _, body := range []string{"\t\n\r", " ~", "\uD7FF", "\uE000\uFFFD", "\U00010000\U0010FFFF", "emoji \U0001F600", "<xml>&amp;\"'</xml>"} {
			out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
			if err != nil {
				t.Errorf("body %q: %v", body, err)
				continue
			}
			if aws.ToString(out.MD5OfMessageBody) != md5hex(body) {
				t.Errorf("body %q: MD5 %s", body, aws.ToString(out.MD5OfMessageBody))
			}
		}
	})

	for _, body := range []string{"nul \x00", "bell \x07", "bs \b", "esc \x1b", "\uFFFE", "\uFFFF"} {
		t.Run("InvalidMessageContents "+strconv.Quote(body), func(t *testing.T) {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
			wantErr(t, err, "InvalidMessageContents", 400, "")
		})
	}

	t.Run("1 MiB body is accepted", func(t *testing.T) {
		body := strings.Repeat("x", 1<<20)
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("1 MiB + 1 body is refused", func(t *testing.T) {
		body := strings.Repeat("x", 1<<20+1)
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
		wantErr(t, err, codeInvalidPV, 400, "Message must be shorter than 1048576 bytes")
	})
	t.Run("body plus attributes over 1 MiB is refused", func(t *testing.T) {
		body := strings.Repeat("x", 1<<20-10)
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body),
			MessageAttributes: map[string]types.MessageAttributeValue{"attribute": strAttr("String", "0123456789")}})
		wantErr(t, err, codeInvalidPV, 400, "Message must be shorter than 1048576 bytes")
	})
	t.Run("empty body", func(t *testing.T) {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("")})
		wantErr(t, err, "MissingParameter", 400, "MessageBody")
	})
	t.Run("DelaySeconds 901", func(t *testing.T) {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), DelaySeconds: 901})
		wantErr(t, err, codeInvalidPV, 400, "DelaySeconds")
	})

	eleven := map[string]types.MessageAttributeValue{}
	for i := 0; i < 11; i++ {
		eleven[fmt.Sprintf("a%d", i)] = strAttr("String", "v")
	}
	badAttrs := []struct {
		desc  string
		attrs map[string]types.MessageAttributeValue
		msg   string
	}{
		{"empty String value", map[string]types.MessageAttributeValue{"ErrorDetails": strAttr("String", "")},
			"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."},
		{"11 attributes", eleven, ""},
		{"name starting with AWS.", map[string]types.MessageAttributeValue{"AWS.x": strAttr("String", "v")}, ""},
		{"name starting with amazon.", map[string]types.MessageAttributeValue{"amazon.x": strAttr("String", "v")}, ""},
		{"name with a space", map[string]types.MessageAttributeValue{"a b": strAttr("String", "v")}, ""},
		{"name with ..", map[string]types.MessageAttributeValue{"a..b": strAttr("String", "v")}, ""},
		{"name ending with .", map[string]types.MessageAttributeValue{"ab.": strAttr("String", "v")}, ""},
		{"name of 257 characters", map[string]types.MessageAttributeValue{strings.Repeat("n", 257): strAttr("String", "v")}, ""},
		{"unknown data type", map[string]types.MessageAttributeValue{"a": strAttr("Integer", "1")}, ""},
		{"Binary without a value", map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Binary")}}, ""},
		{"String without a value", map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String")}}, ""},
	}
	for _, tc := range badAttrs {
		t.Run("attributes: "+tc.desc, func(t *testing.T) {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageAttributes: tc.attrs})
			wantErr(t, err, codeInvalidPV, 400, tc.msg)
		})
	}
}

func TestAWSTraceHeader(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "trace"))
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("traced"),
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if out.MD5OfMessageSystemAttributes == nil {
		t.Errorf("no MD5OfMessageSystemAttributes in the SendMessage result")
	}
	if out.MD5OfMessageAttributes != nil {
		t.Errorf("MD5OfMessageAttributes = %q without message attributes, want absent", *out.MD5OfMessageAttributes)
	}
	ms := receive(t, c, url, 1, 5)
	if len(ms) != 1 || ms[0].Attributes["AWSTraceHeader"] != trace {
		t.Fatalf("received %+v, want AWSTraceHeader %q", ms, trace)
	}
}

func TestSendMessageBatch(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "smb"))
	entry := func(id, body string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	}
	batch := func(es ...types.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error) {
		return c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
	}

	t.Run("partial failure", func(t *testing.T) {
		ok1 := entry("ok-1", "first")
		ok1.MessageAttributes = map[string]types.MessageAttributeValue{"k": strAttr("String", "v")}
		badDelay := entry("bad_delay", "x")
		badDelay.DelaySeconds = 901
		badBody := entry("badBody", "nul \x00")
		out, err := batch(ok1, badDelay, entry("ok-2", "second"), badBody)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 2 || len(out.Failed) != 2 {
			t.Fatalf("Successful %d, Failed %d; want 2 and 2: %+v", len(out.Successful), len(out.Failed), out.Failed)
		}
		for _, s := range out.Successful {
			if s.MessageId == nil || s.MD5OfMessageBody == nil {
				t.Errorf("successful entry %s lacks MessageId or MD5", aws.ToString(s.Id))
			}
			if aws.ToString(s.Id) == "ok-1" && s.MD5OfMessageAttributes == nil {
				t.Errorf("entry ok-1 lacks MD5OfMessageAttributes")
			}
		}
		codes := map[string]string{}
		for _, f := range out.Failed {
			if !f.SenderFault {
				t.Errorf("failed entry %s: SenderFault false", aws.ToString(f.Id))
			}
			codes[aws.ToString(f.Id)] = aws.ToString(f.Code)
		}
		if codes["bad_delay"] != codeInvalidPV {
			t.Errorf("bad_delay failed with %q, want InvalidParameterValue", codes["bad_delay"])
		}
		if codes["badBody"] != "InvalidMessageContents" {
			t.Errorf("badBody failed with %q, want InvalidMessageContents", codes["badBody"])
		}
		got := receiveN(t, c, url, 2, 5*time.Second)
		if !sameSet(bodies(got), []string{"first", "second"}) {
			t.Errorf("received %q", bodies(got))
		}
		for _, m := range got {
			deleteMsg(t, c, url, m)
		}
	})

	var eleven []types.SendMessageBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, entry(fmt.Sprint("e", i), "x"))
	}
	errCases := []struct {
		desc    string
		entries []types.SendMessageBatchRequestEntry
		code    string
		msg     string
	}{
		{"11 entries", eleven, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent 11."},
		{"duplicate ids", []types.SendMessageBatchRequestEntry{entry("a", "1"), entry("a", "2")}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", ""},
		{"no entries", []types.SendMessageBatchRequestEntry{}, "AWS.SimpleQueueService.EmptyBatchRequest", ""},
		{"invalid id", []types.SendMessageBatchRequestEntry{entry("bad id!", "1")}, "AWS.SimpleQueueService.InvalidBatchEntryId",
			"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."},
		{"id of 81 characters", []types.SendMessageBatchRequestEntry{entry(strings.Repeat("i", 81), "1")}, "AWS.SimpleQueueService.InvalidBatchEntryId", ""},
		{"total over 1 MiB", []types.SendMessageBatchRequestEntry{entry("a", strings.Repeat("a", 600_000)), entry("b", strings.Repeat("b", 600_000))},
			"AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."},
	}
	for _, tc := range errCases {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := batch(tc.entries...)
			wantErr(t, err, tc.code, 400, tc.msg)
		})
	}

	t.Run("id of 80 characters", func(t *testing.T) {
		out, err := batch(entry(strings.Repeat("I", 80), "x"))
		if err != nil || len(out.Successful) != 1 {
			t.Fatalf("%v %+v", err, out)
		}
	})
}
