package sqsapi

import (
	"net/url"
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
	path, ok := simpleURLPath(ref.QueueUrl)
	if !ok {
		path = ref.QueueUrl
		if u, err := url.Parse(ref.QueueUrl); err == nil && u.Path != "" {
			path = u.Path
		}
	}
	account, name, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok || strings.Contains(name, "/") {
		return nil, queue.Errorf(queue.ErrQueueDoesNotExist, "The specified queue does not exist.")
	}
	q, err := c.h.cfg.Engine.Queue(account, name)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(q); err != nil {
		return nil, err
	}
	return q, nil
}

// simpleURLPath returns the path of an http(s) URL whose host is a plain
// name or address with an optional numeric port and whose path holds only
// letters, digits, '-', '_', '.' and '/': the Path url.Parse would give.
// ok is false for any other URL, which url.Parse must then decide.
func simpleURLPath(s string) (path string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(s, "http://"):
		rest = s[len("http://"):]
	case strings.HasPrefix(s, "https://"):
		rest = s[len("https://"):]
	default:
		return "", false
	}
	host, p, found := strings.Cut(rest, "/")
	if !found {
		return "", false
	}
	name, port, hasPort := strings.Cut(host, ":")
	if name == "" {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !plainURLByte(c) {
			return "", false
		}
	}
	if hasPort {
		for i := 0; i < len(port); i++ {
			if c := port[i]; c < '0' || c > '9' {
				return "", false
			}
		}
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !plainURLByte(c) && c != '/' {
			return "", false
		}
	}
	return rest[len(host):], true
}

func plainURLByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
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

// validBatchID reports whether id matches ^[A-Za-z0-9_-]{1,80}$.
func validBatchID(id string) bool {
	if len(id) < 1 || len(id) > 80 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkBatchIDs validates the entry ids of a batch request as SQS does.
func checkBatchIDs(ids []string, entryName string) error {
	if len(ids) == 0 {
		return queue.Errorf(queue.ErrEmptyBatchRequest, "There should be at least one %s in the request.", entryName)
	}
	if len(ids) > queue.MaxBatchEntries {
		return queue.Errorf(queue.ErrTooManyEntriesInBatch, "Maximum number of entries per request are %d. You have sent %d.", queue.MaxBatchEntries, len(ids))
	}
	for i, id := range ids {
		if !validBatchID(id) {
			return queue.Errorf(queue.ErrInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		// At most MaxBatchEntries ids: comparing with the earlier ones is
		// cheaper than a set.
		for _, prev := range ids[:i] {
			if prev == id {
				return queue.Errorf(queue.ErrBatchEntryIdsNotDistinct, "Id %s repeated.", id)
			}
		}
	}
	return nil
}
