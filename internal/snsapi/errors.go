package snsapi

import "github.com/herald-dev/herald/internal/topic"

// wireError says how one domain error code looks on the wire.
type wireError struct {
	shape  string // JSON __type suffix (com.amazonaws.sns#<shape>)
	query  string // Query <Code> and the x-amzn-query-error code
	status int
	fault  string // Sender or Receiver
}

// errorTable maps every domain error code to the error AWS sends for it.
var errorTable = map[topic.Code]wireError{
	topic.ErrInvalidParameter:         {"InvalidParameterException", "InvalidParameter", 400, "Sender"},
	topic.ErrParameterValueInvalid:    {"InvalidParameterValueException", "ParameterValueInvalid", 400, "Sender"},
	topic.ErrNotFound:                 {"NotFoundException", "NotFound", 404, "Sender"},
	topic.ErrResourceNotFound:         {"ResourceNotFoundException", "ResourceNotFound", 404, "Sender"},
	topic.ErrAuthorization:            {"AuthorizationErrorException", "AuthorizationError", 403, "Sender"},
	topic.ErrValidation:               {"ValidationException", "ValidationError", 400, "Sender"},
	topic.ErrTooManyEntriesInBatch:    {"TooManyEntriesInBatchRequestException", "TooManyEntriesInBatchRequest", 400, "Sender"},
	topic.ErrBatchEntryIdsNotDistinct: {"BatchEntryIdsNotDistinctException", "BatchEntryIdsNotDistinct", 400, "Sender"},
	topic.ErrEmptyBatchRequest:        {"EmptyBatchRequestException", "EmptyBatchRequest", 400, "Sender"},
	topic.ErrBatchRequestTooLong:      {"BatchRequestTooLongException", "BatchRequestTooLong", 400, "Sender"},
	topic.ErrInvalidBatchEntryID:      {"InvalidBatchEntryIdException", "InvalidBatchEntryId", 400, "Sender"},
	topic.ErrTopicLimitExceeded:       {"TopicLimitExceededException", "TopicLimitExceeded", 403, "Sender"},
	topic.ErrSubscriptionLimit:        {"SubscriptionLimitExceededException", "SubscriptionLimitExceeded", 403, "Sender"},
	topic.ErrTagLimitExceeded:         {"TagLimitExceededException", "TagLimitExceeded", 400, "Sender"},
	topic.ErrInvalidAction:            {"InvalidAction", "InvalidAction", 400, "Sender"},
	topic.ErrUnknownOperation:         {"UnknownOperationException", "InvalidAction", 400, "Sender"},
	topic.ErrMalformedQueryString:     {"MalformedQueryString", "MalformedQueryString", 400, "Sender"},
	topic.ErrSerialization:            {"SerializationException", "SerializationException", 400, "Sender"},
	topic.ErrRequestEntityTooLarge:    {"RequestEntityTooLarge", "RequestEntityTooLarge", 413, "Sender"},
	topic.ErrInternal:                 {"InternalErrorException", "InternalError", 500, "Receiver"},
}

func lookupError(code topic.Code) wireError {
	if w, ok := errorTable[code]; ok {
		return w
	}
	return errorTable[topic.ErrInternal]
}

// batchErrorCode is the Code of a PublishBatch failure entry.
func batchErrorCode(code topic.Code) string { return lookupError(code).query }
