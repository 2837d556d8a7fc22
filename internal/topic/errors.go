package topic

import (
	"errors"
	"fmt"
)

// Code is a stable, protocol-independent error code; snsapi/errors.go maps
// each to the error AWS sends for it.
type Code string

// Error codes returned by the engine, named as SNS names them.
const (
	ErrInvalidParameter         Code = "InvalidParameter"
	ErrParameterValueInvalid    Code = "ParameterValueInvalid"
	ErrNotFound                 Code = "NotFound"
	ErrAuthorization            Code = "AuthorizationError"
	ErrInternal                 Code = "InternalError"
	ErrValidation               Code = "ValidationError"
	ErrTooManyEntriesInBatch    Code = "TooManyEntriesInBatchRequest"
	ErrBatchEntryIdsNotDistinct Code = "BatchEntryIdsNotDistinct"
	ErrEmptyBatchRequest        Code = "EmptyBatchRequest"
	ErrBatchRequestTooLong      Code = "BatchRequestTooLong"
	ErrInvalidBatchEntryID      Code = "InvalidBatchEntryId"
	ErrTopicLimitExceeded       Code = "TopicLimitExceeded"
	ErrSubscriptionLimit        Code = "SubscriptionLimitExceeded"
	ErrTagLimitExceeded         Code = "TagLimitExceeded"
	ErrResourceNotFound         Code = "ResourceNotFound"
	ErrInvalidAction            Code = "InvalidAction"
	ErrMalformedQueryString     Code = "MalformedQueryString"
	ErrSerialization            Code = "SerializationException"
	ErrUnknownOperation         Code = "UnknownOperationException"
	ErrRequestEntityTooLarge    Code = "RequestEntityTooLarge"
)

// Error is a domain error with a stable code and AWS's wording.
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

func invalid(format string, args ...any) *Error {
	return Errorf(ErrInvalidParameter, "Invalid parameter: "+format, args...)
}

func errNoTopic() *Error { return Errorf(ErrNotFound, "Topic does not exist") }

func errNoSubscription() *Error { return Errorf(ErrNotFound, "Subscription does not exist") }

func internal(err error) *Error {
	return &Error{Code: ErrInternal, Message: "We encountered an internal error. Please try again.", Err: err}
}
