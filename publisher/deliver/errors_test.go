package deliver

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestAWSErrorClassification(t *testing.T) {
	const op = "sqs SendMessage to https://sqs.us-east-1.amazonaws.com/123456789012/q"
	for _, tc := range []struct {
		code      string
		permanent bool
	}{
		{"AccessDenied", false},
		{"KMS.AccessDeniedException", false},
		{"KMS.DisabledException", false},
		{"AWS.SimpleQueueService.NonExistentQueue", false},
		{"QueueDoesNotExist", false},
		{"NotFound", false},
		{"AuthorizationError", false},
		{"RequestThrottled", false},
		{"ThrottlingException", false},
		{"InternalError", false},
		{"InvalidMessageContents", true},
		{"InvalidParameterValue", true},
		{"InvalidParameter", true},
		{"ValidationException", true},
		{"BatchRequestTooLong", true},
		{"AWS.SimpleQueueService.BatchRequestTooLong", true},
	} {
		api := &smithy.GenericAPIError{Code: tc.code, Message: "what " + tc.code + " says"}
		err := &smithy.OperationError{ServiceID: "SQS", OperationName: "SendMessage", Err: fmt.Errorf("https response error StatusCode: 400: %w", api)}
		e := awsError(op, err)
		if e.Permanent != tc.permanent || e.Code != tc.code {
			t.Errorf("%s: Permanent %v Code %q, want %v", tc.code, e.Permanent, e.Code, tc.permanent)
		}
		if want := op + ": " + tc.code + ": what " + tc.code + " says"; e.Error() != want {
			t.Errorf("%s: message %q, want %q", tc.code, e.Error(), want)
		}
		var got smithy.APIError
		if !errors.As(e, &got) || got.ErrorCode() != tc.code {
			t.Errorf("%s: the API error is not reachable with errors.As", tc.code)
		}
	}

	// Not an answer from AWS: retriable, without the SDK's prefix.
	err := &smithy.OperationError{ServiceID: "SQS", OperationName: "SendMessage", Err: context.DeadlineExceeded}
	e := awsError(op, err)
	if e.Permanent || e.Code != "" || e.Error() != op+": no answer before the delivery deadline: context deadline exceeded" {
		t.Errorf("deadline: %+v %q", e, e.Error())
	}
}

func TestEntryErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		code        string
		senderFault bool
		permanent   bool
	}{
		{"InvalidMessageContents", true, true},
		{"InvalidParameterValue", false, true},
		{"SomethingNew", true, true}, // the sender's fault, not one an operator can fix
		{"SomethingNew", false, false},
		{"KMS.AccessDeniedException", true, false},
		{"KMSAccessDenied", true, false},
		{"AccessDenied", true, false},
		{"InternalError", false, false},
	} {
		e := entryError("sqs SendMessageBatch to u", tc.code, "m", tc.senderFault)
		if e.Permanent != tc.permanent || e.Code != tc.code || e.Error() != "sqs SendMessageBatch to u: "+tc.code+": m" {
			t.Errorf("%s sender %v: Permanent %v Code %q %q", tc.code, tc.senderFault, e.Permanent, e.Code, e.Error())
		}
	}
}

func TestKafkaErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		err       error
		permanent bool
		code      string
	}{
		{kerr.MessageTooLarge, true, "MESSAGE_TOO_LARGE"},
		{kerr.RecordListTooLarge, true, "RECORD_LIST_TOO_LARGE"},
		{kerr.InvalidRecord, true, "INVALID_RECORD"},
		{kerr.InvalidTopicException, true, "INVALID_TOPIC_EXCEPTION"},
		{kerr.UnknownTopicOrPartition, false, "UNKNOWN_TOPIC_OR_PARTITION"},
		{kerr.NotEnoughReplicas, false, "NOT_ENOUGH_REPLICAS"},
		{kerr.TopicAuthorizationFailed, false, "TOPIC_AUTHORIZATION_FAILED"},
		{kgo.ErrRecordTimeout, false, ""},
		{kgo.ErrClientClosed, false, ""},
	} {
		e := kafkaError("kafka produce to t on b:9092", tc.err)
		if e.Permanent != tc.permanent || e.Code != tc.code || !errors.Is(e, tc.err) {
			t.Errorf("%v: Permanent %v Code %q", tc.err, e.Permanent, e.Code)
		}
	}
}
