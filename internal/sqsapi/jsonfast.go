package sqsapi

import (
	"strconv"
	"unicode/utf8"

	"github.com/herald-dev/herald/internal/queue"
)

// A fast path for the JSON bodies of the busiest actions (SendMessage,
// SendMessageBatch, ReceiveMessage, DeleteMessage, DeleteMessageBatch),
// which encoding/json decodes with reflection after a validating pass of
// its own. It accepts only a plain subset of JSON: the fields' exact names,
// each at most once, values of the fields' own types, strings without \u
// escapes and of valid UTF-8, integers without fraction or exponent, no
// null, and no message attributes. On anything else it gives up and
// encoding/json decodes the body as before (into a fresh input), so the
// results, and the errors, are encoding/json's.

// fastDecoder is an input with a fast JSON decoder. decodeFast reports
// false when the body is outside the subset; the input is then to be
// discarded.
type fastDecoder interface {
	decodeFast(d *jsonDec) bool
}

// decodeJSONFast decodes body into in when in has a fast decoder and body
// is in its subset.
func decodeJSONFast(body []byte, in any) bool {
	f, ok := in.(fastDecoder)
	if !ok {
		return false
	}
	d := jsonDec{b: body}
	if !f.decodeFast(&d) {
		return false
	}
	d.ws()
	return d.i == len(d.b)
}

type jsonDec struct {
	b []byte
	i int
}

func (d *jsonDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips blanks and then c, reporting whether c was there.
func (d *jsonDec) consume(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// key reads an object key without escapes and the colon after it.
func (d *jsonDec) key() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			k := d.b[start:d.i]
			d.i++
			return k, d.consume(':')
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// str reads a string value.
func (d *jsonDec) str() (string, bool) {
	if !d.consume('"') {
		return "", false
	}
	start := d.i
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			s := d.b[start:j]
			if !utf8.Valid(s) {
				return "", false // encoding/json replaces invalid bytes
			}
			d.i = j + 1
			return string(s), true
		case c == '\\':
			return d.escaped(start, j)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// escaped reads the rest of a string value with backslash escapes (not
// \u), from j, the first backslash.
func (d *jsonDec) escaped(start, j int) (string, bool) {
	buf := make([]byte, 0, j-start+64)
	buf = append(buf, d.b[start:j]...)
	for ; j < len(d.b); j++ {
		c := d.b[j]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", false
			}
			d.i = j + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			continue
		}
		j++
		if j >= len(d.b) {
			return "", false
		}
		switch d.b[j] {
		case '"', '\\', '/':
			buf = append(buf, d.b[j])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		default:
			return "", false // \u and invalid escapes: encoding/json decides
		}
	}
	return "", false
}

// int reads an integer: an optional minus and digits, without leading
// zeros, fraction or exponent, that fits in 64 bits.
func (d *jsonDec) int() (int64, bool) {
	d.ws()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	n := d.i - digits
	if n == 0 || n > 1 && d.b[digits] == '0' || n > 18 {
		return 0, false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	return v, err == nil
}

// object reads an object, calling field for each key (positioned at its
// value). field reports false to give up.
func (d *jsonDec) object(field func(key []byte) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	for {
		k, ok := d.key()
		if !ok || !field(k) {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// array reads an array, calling elem for each element; an empty array
// calls empty, as encoding/json makes an empty, non-nil slice of it.
func (d *jsonDec) array(empty func(), elem func() bool) bool {
	if !d.consume('[') {
		return false
	}
	if d.consume(']') {
		empty()
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume(']')
	}
}

// once records a field as seen, false if it was already.
func once(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

func (d *jsonDec) strings(dst *[]string) bool {
	return d.array(func() { *dst = []string{} }, func() bool {
		s, ok := d.str()
		*dst = append(*dst, s)
		return ok
	})
}

func (d *jsonDec) strTo(dst *string) bool {
	var ok bool
	*dst, ok = d.str()
	return ok
}

func (d *jsonDec) strPtr(dst **string) bool {
	s, ok := d.str()
	*dst = &s
	return ok
}

func (d *jsonDec) int64Ptr(dst **int64) bool {
	v, ok := d.int()
	*dst = &v
	return ok
}

// sendFields reads an object of the fields a message to send has, as
// SendMessage and a SendMessageBatch entry share them; they differ only in
// the first key, QueueUrl or Id, which goes to first.
func (d *jsonDec) sendFields(firstKey string, first *string, body **string, delay **int64, dedup, group *string) bool {
	var seen uint32
	return d.object(func(k []byte) bool {
		if string(k) == firstKey {
			return once(&seen, 1) && d.strTo(first)
		}
		switch string(k) {
		case "MessageBody":
			return once(&seen, 2) && d.strPtr(body)
		case "DelaySeconds":
			return once(&seen, 4) && d.int64Ptr(delay)
		case "MessageDeduplicationId":
			return once(&seen, 8) && d.strTo(dedup)
		case "MessageGroupId":
			return once(&seen, 16) && d.strTo(group)
		}
		return false
	})
}

func (in *SendMessageInput) decodeFast(d *jsonDec) bool {
	return d.sendFields("QueueUrl", &in.QueueUrl, &in.MessageBody, &in.DelaySeconds, &in.MessageDeduplicationId, &in.MessageGroupId)
}

func (e *SendMessageBatchRequestEntry) decodeFast(d *jsonDec) bool {
	return d.sendFields("Id", &e.Id, &e.MessageBody, &e.DelaySeconds, &e.MessageDeduplicationId, &e.MessageGroupId)
}

// entries reads a batch's Entries array into dst, each element by decode.
func entries[T any](d *jsonDec, dst *[]T, decode func(*T, *jsonDec) bool) bool {
	return d.array(func() { *dst = []T{} }, func() bool {
		if *dst == nil {
			*dst = make([]T, 0, queue.MaxBatchEntries)
		}
		var zero T
		*dst = append(*dst, zero)
		return decode(&(*dst)[len(*dst)-1], d)
	})
}

// batchFields reads a batch request's object of a QueueUrl and Entries,
// each entry read by decode, as SendMessageBatch and DeleteMessageBatch
// have them.
func batchFields[T any](d *jsonDec, queueURL *string, dst *[]T, decode func(*T, *jsonDec) bool) bool {
	var seen uint32
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "QueueUrl":
			return once(&seen, 1) && d.strTo(queueURL)
		case "Entries":
			return once(&seen, 2) && entries(d, dst, decode)
		}
		return false
	})
}

func (in *SendMessageBatchInput) decodeFast(d *jsonDec) bool {
	return batchFields(d, &in.QueueUrl, &in.Entries, (*SendMessageBatchRequestEntry).decodeFast)
}

func (in *ReceiveMessageInput) decodeFast(d *jsonDec) bool {
	var seen uint32
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "QueueUrl":
			return once(&seen, 1) && d.strTo(&in.QueueUrl)
		case "AttributeNames":
			return once(&seen, 2) && d.strings(&in.AttributeNames)
		case "MessageSystemAttributeNames":
			return once(&seen, 4) && d.strings(&in.MessageSystemAttributeNames)
		case "MessageAttributeNames":
			return once(&seen, 8) && d.strings(&in.MessageAttributeNames)
		case "MaxNumberOfMessages":
			if !once(&seen, 16) {
				return false
			}
			v, ok := d.int()
			n := int(v)
			in.MaxNumberOfMessages = &n
			return ok && int64(n) == v
		case "VisibilityTimeout":
			return once(&seen, 32) && d.int64Ptr(&in.VisibilityTimeout)
		case "WaitTimeSeconds":
			return once(&seen, 64) && d.int64Ptr(&in.WaitTimeSeconds)
		case "ReceiveRequestAttemptId":
			return once(&seen, 128) && d.strTo(&in.ReceiveRequestAttemptId)
		}
		return false
	})
}

// receiptFields reads an object of a first key (QueueUrl or Id) and a
// ReceiptHandle, as DeleteMessage and a DeleteMessageBatch entry have them.
func (d *jsonDec) receiptFields(firstKey string, first, handle *string) bool {
	var seen uint32
	return d.object(func(k []byte) bool {
		switch {
		case string(k) == firstKey:
			return once(&seen, 1) && d.strTo(first)
		case string(k) == "ReceiptHandle":
			return once(&seen, 2) && d.strTo(handle)
		}
		return false
	})
}

func (in *DeleteMessageInput) decodeFast(d *jsonDec) bool {
	return d.receiptFields("QueueUrl", &in.QueueUrl, &in.ReceiptHandle)
}

func (e *DeleteMessageBatchRequestEntry) decodeFast(d *jsonDec) bool {
	return d.receiptFields("Id", &e.Id, &e.ReceiptHandle)
}

func (in *DeleteMessageBatchInput) decodeFast(d *jsonDec) bool {
	return batchFields(d, &in.QueueUrl, &in.Entries, (*DeleteMessageBatchRequestEntry).decodeFast)
}
