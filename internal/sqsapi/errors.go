package sqsapi

import (
	"net/http"

	"github.com/herald-dev/herald/internal/queue"
)

// wireError says how one domain error code looks on the wire.
type wireError struct {
	shape  string // JSON __type suffix (com.amazonaws.sqs#<shape>)
	query  string // Query <Code> and the x-amzn-query-error code
	status int
	fault  string // Sender or Receiver
}

// errorTable maps every domain error code to the error AWS sends for it.
var errorTable = map[queue.Code]wireError{
	queue.ErrQueueDoesNotExist:          {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400, "Sender"},
	queue.ErrQueueAlreadyExists:         {"QueueNameExists", "QueueAlreadyExists", 400, "Sender"},
	queue.ErrQueueDeletedRecently:       {"QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently", 400, "Sender"},
	queue.ErrInvalidParameterValue:      {"InvalidParameterValueException", "InvalidParameterValue", 400, "Sender"},
	queue.ErrMissingParameter:           {"MissingRequiredParameterException", "MissingParameter", 400, "Sender"},
	queue.ErrInvalidAttributeName:       {"InvalidAttributeName", "InvalidAttributeName", 400, "Sender"},
	queue.ErrInvalidAttributeValue:      {"InvalidAttributeValue", "InvalidAttributeValue", 400, "Sender"},
	queue.ErrReceiptHandleIsInvalid:     {"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404, "Sender"},
	queue.ErrMessageNotInflight:         {"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400, "Sender"},
	queue.ErrPurgeQueueInProgress:       {"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403, "Sender"},
	queue.ErrOverLimit:                  {"OverLimit", "OverLimit", 403, "Sender"},
	queue.ErrInvalidMessageContents:     {"InvalidMessageContents", "InvalidMessageContents", 400, "Sender"},
	queue.ErrUnsupportedOperation:       {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", 400, "Sender"},
	queue.ErrTooManyEntriesInBatch:      {"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, "Sender"},
	queue.ErrBatchEntryIdsNotDistinct:   {"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, "Sender"},
	queue.ErrEmptyBatchRequest:          {"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400, "Sender"},
	queue.ErrBatchRequestTooLong:        {"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", 400, "Sender"},
	queue.ErrInvalidBatchEntryID:        {"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", 400, "Sender"},
	queue.ErrResourceNotFound:           {"ResourceNotFoundException", "ResourceNotFoundException", 404, "Sender"},
	queue.ErrInvalidAddress:             {"InvalidAddress", "InvalidAddress", 404, "Sender"},
	queue.ErrInvalidIDFormat:            {"InvalidIdFormat", "InvalidIdFormat", 400, "Sender"},
	queue.ErrInvalidSecurity:            {"InvalidSecurity", "InvalidSecurity", 403, "Sender"},
	queue.ErrRequestThrottled:           {"RequestThrottled", "RequestThrottled", 403, "Sender"},
	queue.ErrAccessDenied:               {"AccessDeniedException", "AccessDenied", 403, "Sender"},
	queue.ErrInvalidAction:              {"InvalidAction", "InvalidAction", 400, "Sender"},
	queue.ErrUnknownOperation:           {"UnknownOperationException", "InvalidAction", 400, "Sender"},
	queue.ErrMalformedQueryString:       {"MalformedQueryString", "MalformedQueryString", 404, "Sender"},
	queue.ErrInvalidQueryParameter:      {"InvalidQueryParameter", "InvalidQueryParameter", 400, "Sender"},
	queue.ErrSerialization:              {"SerializationException", "SerializationException", 400, "Sender"},
	queue.ErrRequestEntityTooLarge:      {"RequestEntityTooLarge", "RequestEntityTooLarge", 413, "Sender"},
	queue.ErrMissingAuthenticationToken: {"MissingAuthenticationToken", "MissingAuthenticationToken", 403, "Sender"},
	queue.ErrServiceUnavailable:         {"ServiceUnavailable", "ServiceUnavailable", 503, "Receiver"},
	queue.ErrInternal:                   {"InternalFailure", "InternalFailure", http.StatusInternalServerError, "Receiver"},
}

func lookupError(code queue.Code) wireError {
	if w, ok := errorTable[code]; ok {
		return w
	}
	return errorTable[queue.ErrInternal]
}

// batchErrorCode is the Code of a BatchResultErrorEntry: AWS uses the Query
// code there (e.g. "ReceiptHandleIsInvalid", "InvalidParameterValue").
func batchErrorCode(code queue.Code) string { return lookupError(code).query }
