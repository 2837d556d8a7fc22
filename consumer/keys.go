package consumer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A KeyPart is one component of an event's deduplication key.
//
// Its text is a Path into the event, or one of:
//
//	$message_id        the notification's MessageId (the default key)
//	$attribute.NAME    a message attribute's value
//	message:PATH       a Path into the whole (unwrapped) message body rather
//	                   than the split event, e.g. message:EventDocId
type KeyPart struct {
	text      string
	kind      keyKind
	path      Path
	attribute string
}

type keyKind int

const (
	keyEventPath keyKind = iota
	keyMessagePath
	keyMessageID
	keyAttribute
)

// ParseKeyPart parses one key component.
func ParseKeyPart(text string) (KeyPart, error) {
	k := KeyPart{text: text}
	switch {
	case text == "$message_id":
		k.kind = keyMessageID
		return k, nil
	case strings.HasPrefix(text, "$attribute."):
		k.kind, k.attribute = keyAttribute, strings.TrimPrefix(text, "$attribute.")
		if k.attribute == "" {
			return KeyPart{}, fmt.Errorf("key %q: no attribute name", text)
		}
		return k, nil
	case strings.HasPrefix(text, "$"):
		return KeyPart{}, fmt.Errorf("key %q: unknown variable (want $message_id or $attribute.NAME)", text)
	case strings.HasPrefix(text, "message:"):
		k.kind = keyMessagePath
		text = strings.TrimPrefix(text, "message:")
	}
	p, err := ParsePath(text)
	if err != nil {
		return KeyPart{}, fmt.Errorf("key: %w", err)
	}
	k.path = p
	return k, nil
}

func (k KeyPart) String() string { return k.text }

// messageScoped reports whether the part is the same for every event split
// from one message.
func (k KeyPart) messageScoped() bool { return k.kind != keyEventPath }

// errKeyMissing is returned when a key part selects nothing.
var errKeyMissing = errors.New("selects nothing")

// value renders the part for ev, whose message document is msgDoc.
func (k KeyPart) value(ev *Event, msgDoc any) (string, error) {
	var vs []any
	switch k.kind {
	case keyMessageID:
		return ev.MessageID, nil
	case keyAttribute:
		v, ok := ev.Attributes[k.attribute]
		if !ok {
			return "", fmt.Errorf("key %s: %w", k.text, errKeyMissing)
		}
		return v, nil
	case keyMessagePath:
		vs = k.path.Values(msgDoc)
	default:
		vs = k.path.Values(ev.Doc)
	}
	if len(vs) == 0 {
		return "", fmt.Errorf("key %s: %w", k.text, errKeyMissing)
	}
	if len(vs) == 1 {
		return ValueString(vs[0]), nil
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = ValueString(v)
	}
	return strings.Join(parts, ","), nil
}

// buildKey joins the parts' values with "|". When the event was split from
// its message and every part is message-scoped, "#<index>" is appended so
// that the events of one message keep distinct keys.
func buildKey(parts []KeyPart, ev *Event, msgDoc any) (string, error) {
	if len(parts) == 0 {
		parts = defaultKey
	}
	var b strings.Builder
	allMessage := true
	for i, p := range parts {
		v, err := p.value(ev, msgDoc)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(v)
		allMessage = allMessage && p.messageScoped()
	}
	if ev.Index >= 0 && allMessage {
		b.WriteByte('#')
		b.WriteString(strconv.Itoa(ev.Index))
	}
	return storableKey(b.String()), nil
}

// storableKey returns key unchanged when every store can hold it, else
// "sha256:" and its hash in hex: PostgreSQL text holds neither NUL nor
// invalid UTF-8, and a key is at most maxKeyLen bytes.
func storableKey(key string) string {
	if len(key) <= maxKeyLen && utf8.ValidString(key) && !strings.ContainsRune(key, 0) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// maxKeyLen bounds a stored key.
const maxKeyLen = 1024

var defaultKey = []KeyPart{{text: "$message_id", kind: keyMessageID}}

// versionOf reads an entity version: an integer, or a timestamp (RFC 3339,
// with or without a colon in the offset, with or without fractional
// seconds) as Unix nanoseconds, or an integer in a string.
func versionOf(v any) (int64, error) {
	s := ValueString(v)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), nil
	}
	for _, layout := range versionLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), nil
		}
	}
	return 0, fmt.Errorf("version %q is neither an integer nor a timestamp", s)
}

var versionLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05Z07:00",
}
