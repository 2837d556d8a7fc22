package sqsapi

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/herald-dev/herald/internal/queue"
)

// queueRef is embedded by every input that names a queue by URL.
type queueRef struct {
	QueueUrl string `json:"QueueUrl"`
}

func (r *queueRef) setQueueURL(u string) { r.QueueUrl = u }

// queue resolves the input's queue URL. Only the URL's path counts: a queue
// is found whatever host the client used.
func (c *call) queue(ref queueRef) (*queue.Queue, error) {
	if ref.QueueUrl == "" {
		return nil, queue.Errorf(queue.ErrMissingParameter, "The request must contain the parameter QueueUrl.")
	}
	path := ref.QueueUrl
	if u, err := url.Parse(ref.QueueUrl); err == nil && u.Path != "" {
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 2 {
		return nil, queue.Errorf(queue.ErrQueueDoesNotExist, "The specified queue does not exist.")
	}
	q, err := c.h.cfg.Engine.Queue(parts[0], parts[1])
	if err != nil {
		return nil, err
	}
	if err := c.authorize(q); err != nil {
		return nil, err
	}
	return q, nil
}

// queueURL is the URL clients use for q.
func (c *call) queueURL(q *queue.Queue) string {
	base := c.h.cfg.PublicURL
	if base == "" {
		scheme := "http"
		if c.r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + c.r.Host
	}
	return base + "/" + q.Account() + "/" + q.Name()
}

// MessageAttributeValue is the wire form of a message attribute.
type MessageAttributeValue struct {
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty" query:"StringListValue"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty" query:"BinaryListValue"`
	DataType         string   `json:"DataType"`
}

func toDomainAttrs(in map[string]MessageAttributeValue) queue.MessageAttributes {
	if len(in) == 0 {
		return nil
	}
	out := make(queue.MessageAttributes, len(in))
	for k, v := range in {
		av := queue.AttributeValue{DataType: v.DataType, BinaryValue: v.BinaryValue, StringList: v.StringListValues, BinaryList: v.BinaryListValues}
		if v.StringValue != nil {
			av.StringValue = *v.StringValue
		}
		out[k] = av
	}
	return out
}

func fromDomainAttrs(in queue.MessageAttributes) map[string]MessageAttributeValue {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]MessageAttributeValue, len(in))
	for k, v := range in {
		wv := MessageAttributeValue{DataType: v.DataType, StringListValues: v.StringList, BinaryListValues: v.BinaryList}
		if v.BaseType() == "Binary" {
			wv.BinaryValue = v.BinaryValue
		} else {
			s := v.StringValue
			wv.StringValue = &s
		}
		out[k] = wv
	}
	return out
}

// BatchResultErrorEntry is one failed entry of a batch action.
type BatchResultErrorEntry struct {
	Id          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

func batchError(id string, err error) BatchResultErrorEntry {
	code := queue.ErrorCode(err)
	msg := err.Error()
	if e, ok := err.(*queue.Error); ok {
		msg = e.Message
	}
	return BatchResultErrorEntry{Id: id, SenderFault: lookupError(code).fault == "Sender", Code: batchErrorCode(code), Message: msg}
}

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkBatchIDs validates the entry ids of a batch request as SQS does.
func checkBatchIDs(ids []string, entryName string) error {
	if len(ids) == 0 {
		return queue.Errorf(queue.ErrEmptyBatchRequest, "There should be at least one %s in the request.", entryName)
	}
	if len(ids) > queue.MaxBatchEntries {
		return queue.Errorf(queue.ErrTooManyEntriesInBatch, "Maximum number of entries per request are %d. You have sent %d.", queue.MaxBatchEntries, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !batchIDRE.MatchString(id) {
			return queue.Errorf(queue.ErrInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return queue.Errorf(queue.ErrBatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}
