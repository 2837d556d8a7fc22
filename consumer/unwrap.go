package consumer

import (
	"bytes"
	"encoding/json"
	"strings"
)

// snsEnvelope is the part of an SNS notification envelope the pipeline reads.
type snsEnvelope struct {
	Type              string `json:"Type"`
	MessageID         string `json:"MessageId"`
	TopicArn          string `json:"TopicArn"`
	Subject           string `json:"Subject"`
	Message           *string
	MessageAttributes map[string]struct {
		Type  string `json:"Type"`
		Value string `json:"Value"`
	} `json:"MessageAttributes"`
}

// unwrapped is a message body with its SNS envelope, if any, taken off.
type unwrapped struct {
	body       []byte
	messageID  string
	subject    string
	topicArn   string
	attributes map[string]string
	enveloped  bool
}

// unwrap takes the SNS envelope off m's body when the body is one: a JSON
// object whose Type is "Notification" with a TopicArn, a MessageId and a
// string Message. Anything else is returned as it is, so raw and enveloped
// deliveries look alike downstream.
func unwrap(m *Message) unwrapped {
	u := unwrapped{body: m.Body, messageID: m.ID, attributes: m.Attributes}
	b := m.Body
	// Cheap test before decoding: an envelope is an object naming its Type.
	if len(b) < 2 || firstNonSpace(b) != '{' || !containsNotification(b) {
		return u
	}
	var env snsEnvelope
	if err := json.Unmarshal(b, &env); err != nil {
		return u
	}
	if env.Type != "Notification" || env.TopicArn == "" || env.MessageID == "" || env.Message == nil {
		return u
	}
	u.body = []byte(*env.Message)
	u.messageID = env.MessageID
	u.subject = env.Subject
	u.topicArn = env.TopicArn
	u.enveloped = true
	if len(env.MessageAttributes) > 0 {
		u.attributes = make(map[string]string, len(env.MessageAttributes))
		for k, a := range env.MessageAttributes {
			if base, _, _ := strings.Cut(a.Type, "."); base == "Binary" {
				continue // Binary and Binary.<custom>: not text
			}
			u.attributes[k] = a.Value
		}
	} else {
		u.attributes = nil
	}
	return u
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

func containsNotification(b []byte) bool {
	return bytes.Contains(b, []byte(`"Notification"`))
}
