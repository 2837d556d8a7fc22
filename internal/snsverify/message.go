package snsverify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Message types.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Message is a verified SNS message, as parsed from the body.
type Message struct {
	Type              string
	MessageId         string
	SequenceNumber    string
	Token             string
	TopicArn          string
	Subject           string
	Message           string
	SubscribeURL      string
	Timestamp         string
	SignatureVersion  string
	Signature         string
	SigningCertURL    string
	UnsubscribeURL    string
	MessageAttributes map[string]Attribute
}

// Attribute is a message attribute of a notification: its data type and
// its value (base64 for Binary). Attributes are not signed.
type Attribute struct {
	Type  string
	Value string
}

// envelope is the parsed body: each known key's value, and which keys were
// present (a JSON null counts as absent, as in AWS's validators).
type envelope struct {
	msg     Message
	present map[string]bool
}

// fieldNames maps each key accepted in a body to the canonical name; the
// "...Url" spellings are those of Lambda's SNS events, which AWS's
// validators also accept.
var fieldNames = map[string]string{
	"Type":             "Type",
	"MessageId":        "MessageId",
	"SequenceNumber":   "SequenceNumber",
	"Token":            "Token",
	"TopicArn":         "TopicArn",
	"Subject":          "Subject",
	"Message":          "Message",
	"SubscribeURL":     "SubscribeURL",
	"SubscribeUrl":     "SubscribeURL",
	"Timestamp":        "Timestamp",
	"SignatureVersion": "SignatureVersion",
	"Signature":        "Signature",
	"SigningCertURL":   "SigningCertURL",
	"SigningCertUrl":   "SigningCertURL",
	"UnsubscribeURL":   "UnsubscribeURL",
	"UnsubscribeUrl":   "UnsubscribeURL",
}

// foldedName returns the field name key differs from only in case (as
// encoding/json compares keys: Unicode case folding), or "".
func foldedName(key string) string {
	if strings.EqualFold(key, "MessageAttributes") && key != "MessageAttributes" {
		return "MessageAttributes"
	}
	for _, c := range fieldNames {
		if strings.EqualFold(key, c) {
			return c
		}
	}
	return ""
}

// parse reads body strictly, so that no other reader of the same body (such
// as encoding/json, which matches keys case-insensitively and keeps the
// last of duplicates) can see a value other than the one verified: one JSON
// object; known keys spelled exactly (or as their listed aliases); no key
// given twice, under any spelling; known fields strings (or null). Unknown
// keys are ignored. Errors wrap ErrMalformed.
func parse(body []byte) (*envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	raw := make(map[string]json.RawMessage)
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		key := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, key, err)
		}
		canon := key
		if c, ok := fieldNames[key]; ok {
			canon = c
		} else if c := foldedName(key); c != "" {
			// "message" for "Message": encoding/json, which a caller may
			// use on the same body, would take it for the field.
			return nil, fmt.Errorf("%w: key %q is not spelled %q", ErrMalformed, key, c)
		}
		if seen[canon] {
			return nil, fmt.Errorf("%w: duplicate key %q", ErrMalformed, key)
		}
		seen[canon] = true
		raw[canon] = v
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}

	e := &envelope{present: make(map[string]bool)}
	m := &e.msg
	dst := map[string]*string{
		"Type": &m.Type, "MessageId": &m.MessageId, "SequenceNumber": &m.SequenceNumber,
		"Token": &m.Token, "TopicArn": &m.TopicArn, "Subject": &m.Subject,
		"Message": &m.Message, "SubscribeURL": &m.SubscribeURL, "Timestamp": &m.Timestamp,
		"SignatureVersion": &m.SignatureVersion, "Signature": &m.Signature,
		"SigningCertURL": &m.SigningCertURL, "UnsubscribeURL": &m.UnsubscribeURL,
	}
	for name, p := range dst {
		v, ok := raw[name]
		if !ok || isNull(v) {
			continue
		}
		if err := json.Unmarshal(v, p); err != nil {
			return nil, fmt.Errorf("%w: %s is not a string", ErrMalformed, name)
		}
		e.present[name] = true
	}
	if v, ok := raw["MessageAttributes"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &m.MessageAttributes); err != nil {
			return nil, fmt.Errorf("%w: MessageAttributes: %v", ErrMalformed, err)
		}
	}
	return e, nil
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

// signedKeys lists, in the order AWS documents (byte order of the names),
// the fields signed for each type.
var signedKeys = map[string][]string{
	TypeNotification: {"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"},
	TypeSubscriptionConfirmation: {"Message", "MessageId", "SubscribeURL", "Timestamp",
		"Token", "TopicArn", "Type"},
	TypeUnsubscribeConfirmation: {"Message", "MessageId", "SubscribeURL", "Timestamp",
		"Token", "TopicArn", "Type"},
}

// requiredKeys lists the fields each type must carry, besides the
// signature fields. Subject is the only optional signed field.
var requiredKeys = map[string][]string{
	TypeNotification: {"Message", "MessageId", "Timestamp", "TopicArn", "Type"},
	TypeSubscriptionConfirmation: {"Message", "MessageId", "SubscribeURL", "Timestamp",
		"Token", "TopicArn", "Type"},
	TypeUnsubscribeConfirmation: {"Message", "MessageId", "SubscribeURL", "Timestamp",
		"Token", "TopicArn", "Type"},
}

// stringToSign builds "Name\nValue\n" for each signed field present in e,
// in the documented order. e.msg.Type must be one of the three types.
func (e *envelope) stringToSign() string {
	var sb strings.Builder
	for _, k := range signedKeys[e.msg.Type] {
		if !e.present[k] {
			continue
		}
		sb.WriteString(k)
		sb.WriteByte('\n')
		sb.WriteString(e.value(k))
		sb.WriteByte('\n')
	}
	return sb.String()
}

func (e *envelope) value(k string) string {
	m := &e.msg
	switch k {
	case "Message":
		return m.Message
	case "MessageId":
		return m.MessageId
	case "Subject":
		return m.Subject
	case "SubscribeURL":
		return m.SubscribeURL
	case "Timestamp":
		return m.Timestamp
	case "Token":
		return m.Token
	case "TopicArn":
		return m.TopicArn
	case "Type":
		return m.Type
	}
	return ""
}
