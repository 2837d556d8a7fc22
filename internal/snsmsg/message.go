// Package snsmsg is the JSON envelope Amazon SNS wraps around what it
// delivers to HTTP(S) endpoints and, unless raw delivery is on, to SQS
// queues: notifications, subscription confirmations and unsubscribe
// confirmations, written byte for byte in AWS's layout and signed the way
// AWS signs them (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA,
// PKCS #1 v1.5, base64).
//
// A Signer holds the RSA key and the self-signed certificate a server
// publishes at SigningCertURL; LoadOrCreate keeps them on disk so that the
// certificate, and so its URL, stays the same across restarts.
//
// The package does not verify signatures: internal/snsverify does, written
// independently from AWS's documentation so that it catches mistakes made
// here.
package snsmsg

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"
)

// Message types, the value of Message.Type.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Signature versions, the value of Message.SignatureVersion (and of the
// topic attribute of the same name).
const (
	SignatureVersion1 = "1" // SHA1withRSA, the default
	SignatureVersion2 = "2" // SHA256withRSA
)

// Message is one SNS JSON envelope. An empty string field is absent: it is
// left out of the JSON and of the string to sign (Type, MessageId,
// TopicArn, Message and Timestamp are always written).
type Message struct {
	Type      string `json:"Type"`
	MessageId string `json:"MessageId"`
	// SequenceNumber is set on notifications from FIFO topics, which AWS
	// does not sign.
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	// Token is set on SubscriptionConfirmation and UnsubscribeConfirmation.
	Token    string `json:"Token,omitempty"`
	TopicArn string `json:"TopicArn"`
	// Subject is optional on notifications and absent otherwise.
	Subject string `json:"Subject,omitempty"`
	Message string `json:"Message"`
	// SubscribeURL is set on SubscriptionConfirmation and
	// UnsubscribeConfirmation.
	SubscribeURL string `json:"SubscribeURL,omitempty"`
	// Timestamp is the publish time as FormatTimestamp writes it.
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion,omitempty"`
	Signature        string `json:"Signature,omitempty"`
	SigningCertURL   string `json:"SigningCertURL,omitempty"`
	// UnsubscribeURL is set on notifications.
	UnsubscribeURL string `json:"UnsubscribeURL,omitempty"`
	// MessageAttributes are the publish's message attributes, on
	// notifications; they are not signed.
	MessageAttributes map[string]Attribute `json:"MessageAttributes,omitempty"`
}

// Attribute is one message attribute as SNS writes it into a notification:
// its data type ("String", "Number", "Binary", "String.Array", with any
// custom suffix) and its value (base64 for Binary).
type Attribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// timestampLayout is AWS's: UTC, always three fractional digits.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// FormatTimestamp writes t as SNS does, in UTC with milliseconds:
// 2012-04-26T20:45:04.751Z.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(timestampLayout)
}

// Marshal writes m in the layout AWS sends: fields in AWS's order (Type,
// MessageId, SequenceNumber, Token, TopicArn, Subject, Message,
// SubscribeURL, Timestamp, SignatureVersion, Signature, SigningCertURL,
// UnsubscribeURL, MessageAttributes; one order serves every type because
// each type's fields are a subsequence of it), two-space indentation,
// `"Key" : "Value"` separators, each attribute on one line, no trailing
// newline. Strings are not HTML-escaped: <, > and & stay literal, as do
// non-ASCII characters; only '"', '\' and control characters are escaped.
// Message attributes are written sorted by name.
//
// Marshal does not validate m; a string that is not valid UTF-8 has its
// bad bytes replaced by U+FFFD (StringToSign rejects such messages).
func (m *Message) Marshal() []byte {
	b := make([]byte, 0, 512+len(m.Message))
	b = append(b, '{')
	first := true
	field := func(key, value string, always bool) {
		if value == "" && !always {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, "\n  "...)
		b = appendString(b, key)
		b = append(b, " : "...)
		b = appendString(b, value)
	}
	field("Type", m.Type, true)
	field("MessageId", m.MessageId, true)
	field("SequenceNumber", m.SequenceNumber, false)
	field("Token", m.Token, false)
	field("TopicArn", m.TopicArn, true)
	field("Subject", m.Subject, false)
	field("Message", m.Message, true)
	field("SubscribeURL", m.SubscribeURL, false)
	field("Timestamp", m.Timestamp, true)
	field("SignatureVersion", m.SignatureVersion, false)
	field("Signature", m.Signature, false)
	field("SigningCertURL", m.SigningCertURL, false)
	field("UnsubscribeURL", m.UnsubscribeURL, false)
	if len(m.MessageAttributes) > 0 {
		names := make([]string, 0, len(m.MessageAttributes))
		for name := range m.MessageAttributes {
			names = append(names, name)
		}
		sort.Strings(names)
		b = append(b, ",\n  \"MessageAttributes\" : {"...)
		for i, name := range names {
			a := m.MessageAttributes[name]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n    "...)
			b = appendString(b, name)
			b = append(b, ` : {"Type":`...)
			b = appendString(b, a.Type)
			b = append(b, `,"Value":`...)
			b = appendString(b, a.Value)
			b = append(b, '}')
		}
		b = append(b, "\n  }"...)
	}
	b = append(b, "\n}"...)
	return b
}

// Parse reads an SNS envelope (any field order, any whitespace). It checks
// only that data is a JSON object whose known fields have the right JSON
// types; it does not verify the signature (see internal/snsverify).
func Parse(data []byte) (*Message, error) {
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("snsmsg: parse: %w", err)
	}
	return &m, nil
}

// appendString appends s as a JSON string, escaping only what JSON
// requires.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, `\u00`...)
				b = append(b, hexDigit(c>>4), hexDigit(c&0xf))
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func hexDigit(n byte) byte { return "0123456789abcdef"[n] }
