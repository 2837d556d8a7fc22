package deliver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

// ErrClosed is wrapped by the Error of every job sent after Close.
var ErrClosed = errors.New("deliver: dispatcher closed")

// Error classifies a failed send. Its message says what happened in terms
// a subscription's owner can act on: test notifications show it verbatim.
type Error struct {
	// Permanent reports that retrying the same job can never succeed: the
	// message is too large or has contents the destination refuses, the
	// endpoint answered a 4xx other than 408/409/425/429, the destination
	// cannot be addressed as given. Everything else is retriable,
	// including access denied and missing queues or topics: a policy can
	// be fixed and a queue recreated, and the caller gives up after its
	// retry budget.
	Permanent bool
	// RetryAfter is how long the destination asked to wait before the next
	// attempt (an https Retry-After); 0 when it did not say.
	RetryAfter time.Duration
	// Code is the destination's name for the error: the AWS error code
	// ("AccessDenied", "AWS.SimpleQueueService.NonExistentQueue",
	// "KMS.AccessDeniedException"), "HTTP <status>" for https, or the
	// Kafka error name ("MESSAGE_TOO_LARGE"). Empty when the destination
	// gave none (a network error, a timeout, a job refused before sending).
	Code string
	// Err is the cause; its message names the operation and destination.
	Err error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "deliver: unknown error"
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// permanent returns a permanent *Error with a formatted message.
func permanent(code, format string, args ...any) *Error {
	return &Error{Permanent: true, Code: code, Err: fmt.Errorf(format, args...)}
}

// fail returns a Result carrying err.
func fail(err *Error) Result { return Result{Err: err} }

// permanentCodes are AWS error codes about the request itself: sending the
// same message again gets the same answer. Both the Query-protocol codes
// (which the SDKs report for SQS, a Query-compatible JSON service) and the
// JSON shape names are listed.
var permanentCodes = map[string]bool{
	"InvalidMessageContents":                     true,
	"InvalidParameterValue":                      true,
	"InvalidParameterValueException":             true,
	"InvalidParameter":                           true,
	"InvalidParameterException":                  true,
	"ParameterValueInvalid":                      true,
	"MessageTooLong":                             true,
	"BatchRequestTooLong":                        true,
	"AWS.SimpleQueueService.BatchRequestTooLong": true,
	"ValidationException":                        true,
	"ValidationError":                            true,
	"MissingParameter":                           true,
	"MissingRequiredParameterException":          true,
	"InvalidAttributeName":                       true,
	"InvalidAttributeValue":                      true,
	"RequestEntityTooLarge":                      true,
}

// fixableCode reports codes a batch entry may carry with SenderFault set
// that an operator can still clear without changing the message: access
// and key policies, throttling, a missing queue or topic.
func fixableCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "KMS"), // SQS "KMS.AccessDeniedException", SNS "KMSAccessDenied", ...
		strings.Contains(code, "AccessDenied"),
		strings.Contains(code, "Authorization"),
		strings.Contains(code, "Throttl"),
		strings.Contains(code, "NonExistentQueue"),
		code == "QueueDoesNotExist", code == "NotFound", code == "ResourceNotFound",
		code == "RequestThrottled", code == "OverLimit",
		code == "InternalError", code == "InternalFailure", code == "ServiceUnavailable":
		return true
	}
	return false
}

// awsError classifies an error of a whole AWS call. op names the call and
// its destination ("sqs SendMessageBatch to https://..."); the message
// becomes "<op>: <code>: <AWS message>" for an API error and
// "<op>: <cause>" otherwise.
func awsError(op string, err error) *Error {
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		msg := api.ErrorMessage()
		if msg == "" {
			msg = "(no message)"
		}
		return &Error{
			Permanent: permanentCodes[code],
			Code:      code,
			Err:       &opError{op: op, code: code, msg: msg, cause: err},
		}
	}
	// Not an answer from the service: the network, the deadline, the SDK.
	// Strip the SDK's "operation error SQS: SendMessage, " prefix; the op
	// says the same in our words.
	cause := err
	var oe *smithy.OperationError
	if errors.As(err, &oe) && oe.Err != nil {
		cause = oe.Err
	}
	msg := cause.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "no answer before the delivery deadline: " + msg
	}
	return &Error{Err: &opError{op: op, msg: msg, cause: err}}
}

// entryError classifies one failed entry of a batch call. An entry the
// service blames on the sender is permanent unless its code is one an
// operator can fix; an entry blamed on the service is retriable unless
// its code says the message itself is refused.
func entryError(op, code, msg string, senderFault bool) *Error {
	if msg == "" {
		msg = "(no message)"
	}
	perm := permanentCodes[code] || (senderFault && !fixableCode(code))
	return &Error{Permanent: perm, Code: code, Err: &opError{op: op, code: code, msg: msg}}
}

// opError is the cause of an Error: an operation on a destination and
// what went wrong.
type opError struct {
	op, code, msg string
	cause         error // the SDK's error, for errors.As; nil for batch entries
}

func (e *opError) Error() string {
	if e.code != "" {
		return e.op + ": " + e.code + ": " + e.msg
	}
	return e.op + ": " + e.msg
}

func (e *opError) Unwrap() error { return e.cause }

// ctxError is the retriable Error of a job not sent because ctx ended.
func ctxError(op string, err error) *Error {
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "not sent before the delivery deadline: " + msg
	}
	return &Error{Err: &opError{op: op, msg: msg, cause: err}}
}
