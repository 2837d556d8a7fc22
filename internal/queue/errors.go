package queue

import (
	"errors"
	"fmt"
)

// Code is a stable, protocol-independent error code. The wire adapters map
// each code to the error AWS sends for it (see sqsapi/errors.go).
type Code string

// Error codes returned by the engine.
const (
	ErrQueueDoesNotExist          Code = "QueueDoesNotExist"
	ErrQueueAlreadyExists         Code = "QueueAlreadyExists"
	ErrQueueDeletedRecently       Code = "QueueDeletedRecently"
	ErrInvalidParameterValue      Code = "InvalidParameterValue"
	ErrMissingParameter           Code = "MissingParameter"
	ErrInvalidAttributeName       Code = "InvalidAttributeName"
	ErrInvalidAttributeValue      Code = "InvalidAttributeValue"
	ErrReceiptHandleIsInvalid     Code = "ReceiptHandleIsInvalid"
	ErrMessageNotInflight         Code = "MessageNotInflight"
	ErrPurgeQueueInProgress       Code = "PurgeQueueInProgress"
	ErrOverLimit                  Code = "OverLimit"
	ErrInvalidMessageContents     Code = "InvalidMessageContents"
	ErrUnsupportedOperation       Code = "UnsupportedOperation"
	ErrTooManyEntriesInBatch      Code = "TooManyEntriesInBatchRequest"
	ErrBatchEntryIdsNotDistinct   Code = "BatchEntryIdsNotDistinct"
	ErrEmptyBatchRequest          Code = "EmptyBatchRequest"
	ErrBatchRequestTooLong        Code = "BatchRequestTooLong"
	ErrInvalidBatchEntryID        Code = "InvalidBatchEntryId"
	ErrResourceNotFound           Code = "ResourceNotFoundException"
	ErrInvalidAddress             Code = "InvalidAddress"
	ErrInternal                   Code = "InternalError"
	ErrServiceUnavailable         Code = "ServiceUnavailable"
	ErrRequestThrottled           Code = "RequestThrottled"
	ErrInvalidIDFormat            Code = "InvalidIdFormat"
	ErrInvalidSecurity            Code = "InvalidSecurity"
	ErrAccessDenied               Code = "AccessDenied"
	ErrInvalidAction              Code = "InvalidAction"
	ErrMalformedQueryString       Code = "MalformedQueryString"
	ErrSerialization              Code = "SerializationException"
	ErrUnknownOperation           Code = "UnknownOperationException"
	ErrInvalidQueryParameter      Code = "InvalidQueryParameter"
	ErrRequestEntityTooLarge      Code = "RequestEntityTooLarge"
	ErrMissingAuthenticationToken Code = "MissingAuthenticationToken"
)

// ErrStorageFull is wrapped by a Store's errors when the disk (or the
// store's size cap) has no room for a write: the request fails with
// ServiceUnavailable and nothing of it is applied.
var ErrStorageFull = errors.New("storage full")

// Error is a domain error with a stable code and a human message worded as
// AWS words it.
type Error struct {
	Code    Code
	Message string
	Err     error // optional cause, not shown on the wire
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or ErrInternal when err is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

func errNoQueue() *Error {
	return Errorf(ErrQueueDoesNotExist, "The specified queue does not exist.")
}

func errInvalidParam(name, value, reason string) *Error {
	return Errorf(ErrInvalidParameterValue, "Value %s for parameter %s is invalid. Reason: %s", value, name, reason)
}

func errMissing(name string) *Error {
	return Errorf(ErrMissingParameter, "The request must contain the parameter %s.", name)
}
