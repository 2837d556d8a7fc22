package queue

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// AttributeValue is one message attribute value. DataType is "String",
// "Number" or "Binary", optionally followed by ".customSuffix".
type AttributeValue struct {
	DataType    string   `json:"t"`
	StringValue string   `json:"s,omitempty"`
	BinaryValue []byte   `json:"b,omitempty"`
	StringList  []string `json:"sl,omitempty"` // reserved by AWS, accepted and kept
	BinaryList  [][]byte `json:"bl,omitempty"` // reserved by AWS, accepted and kept
}

// MessageAttributes maps attribute names to values.
type MessageAttributes map[string]AttributeValue

// BaseType returns the type before any custom suffix: String, Number or Binary.
func (v AttributeValue) BaseType() string {
	if i := strings.IndexByte(v.DataType, '.'); i >= 0 {
		return v.DataType[:i]
	}
	return v.DataType
}

// MD5 returns the digest AWS computes over message attributes
// (MD5OfMessageAttributes / MD5OfMessageSystemAttributes): attributes sorted
// by name, each encoded as length-prefixed name, length-prefixed data type,
// a transport byte (1 string, 2 binary) and the length-prefixed value.
// It returns "" for no attributes.
func (a MessageAttributes) MD5() string {
	if len(a) == 0 {
		return ""
	}
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	var lb [4]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint32(lb[:], uint32(len(b)))
		h.Write(lb[:])
		h.Write(b)
	}
	for _, n := range names {
		v := a[n]
		put([]byte(n))
		put([]byte(v.DataType))
		if v.BaseType() == "Binary" {
			h.Write([]byte{2})
			put(v.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(v.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Size is the number of bytes the attributes count toward the message size
// limit: names, data types and values.
func (a MessageAttributes) Size() int {
	n := 0
	for name, v := range a {
		n += len(name) + len(v.DataType) + len(v.StringValue) + len(v.BinaryValue)
	}
	return n
}

// MD5Hex returns the lowercase hex MD5 of s.
func MD5Hex(s string) string {
	// md5.Sum only reads its argument: hash the string's bytes in place
	// rather than copy every message body.
	sum := md5.Sum(unsafe.Slice(unsafe.StringData(s), len(s)))
	var h [2 * md5.Size]byte
	hex.Encode(h[:], sum[:])
	return string(h[:])
}

const maxAttributes = 10

// ValidateMessageAttributes checks user message attributes as SQS does.
func ValidateMessageAttributes(a MessageAttributes) error {
	if len(a) > maxAttributes {
		return Errorf(ErrInvalidParameterValue, "Number of message attributes [%d] exceeds the allowed maximum [%d].", len(a), maxAttributes)
	}
	for name, v := range a {
		if err := validateAttributeName(name); err != nil {
			return err
		}
		if err := validateAttributeValue(name, v, "message"); err != nil {
			return err
		}
	}
	return nil
}

// ValidateSystemAttributes checks message system attributes: only
// AWSTraceHeader, of type String.
func ValidateSystemAttributes(a MessageAttributes) error {
	for name, v := range a {
		if name != "AWSTraceHeader" {
			return Errorf(ErrInvalidParameterValue, "Message system attribute name '%s' is invalid.", name)
		}
		if v.DataType != "String" {
			return Errorf(ErrInvalidParameterValue, "Message system attribute '%s' must be of type 'String'.", name)
		}
		if err := validateAttributeValue(name, v, "system"); err != nil {
			return err
		}
	}
	return nil
}

func validateAttributeName(name string) error {
	bad := func(reason string) error {
		return Errorf(ErrInvalidParameterValue, "Message (user) attribute name '%s' is invalid. Reason: %s", name, reason)
	}
	if name == "" {
		return Errorf(ErrInvalidParameterValue, "Message (user) attribute name must not be empty.")
	}
	if len(name) > 256 {
		return bad("Message attribute name must be at most 256 characters long.")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return bad("The prefixes 'AWS.' and 'Amazon.' (case-insensitive) are reserved for use by Amazon.")
	}
	if name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return bad("Message attribute name can not start or end with a period (.) and can not have successive periods.")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return bad("Message attribute name can only contain alphanumeric characters, hyphens (-), underscores (_) and periods (.).")
		}
	}
	return nil
}

func validateAttributeValue(name string, v AttributeValue, kind string) error {
	who := "Message (user) attribute"
	if kind == "system" {
		who = "Message system attribute"
	}
	if v.DataType == "" {
		return Errorf(ErrInvalidParameterValue, "The message attribute '%s' must contain non-empty message attribute type.", name)
	}
	if len(v.DataType) > 256 {
		return Errorf(ErrInvalidParameterValue, "The message attribute '%s' has a type that is longer than 256 characters.", name)
	}
	base := v.BaseType()
	switch base {
	case "String", "Number":
		if v.StringValue == "" {
			return Errorf(ErrInvalidParameterValue, "%s '%s' must contain a non-empty value of type '%s'.", who, name, base)
		}
		if len(v.BinaryValue) > 0 {
			return Errorf(ErrInvalidParameterValue, "%s '%s' with type '%s' must use field 'String'.", who, name, base)
		}
		if !ValidBody(v.StringValue) {
			return Errorf(ErrInvalidParameterValue, "%s '%s' contains invalid characters.", who, name)
		}
		if base == "Number" && !ValidNumber(v.StringValue) {
			return Errorf(ErrInvalidParameterValue, "Can't cast the value of message (user) attribute '%s' to a number.", name)
		}
	case "Binary":
		if len(v.BinaryValue) == 0 {
			return Errorf(ErrInvalidParameterValue, "%s '%s' must contain a non-empty value of type 'Binary'.", who, name)
		}
		if v.StringValue != "" {
			return Errorf(ErrInvalidParameterValue, "%s '%s' with type 'Binary' must use field 'Binary'.", who, name)
		}
	default:
		return Errorf(ErrInvalidParameterValue, "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	if i := strings.IndexByte(v.DataType, '.'); i >= 0 {
		for _, r := range v.DataType[i+1:] {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
				return Errorf(ErrInvalidParameterValue, "The message attribute '%s' has an invalid message attribute type, the set of allowed characters is [a-zA-Z0-9_.-].", name)
			}
		}
	}
	return nil
}

// ValidNumber accepts what SQS accepts for Number attributes: an optional
// sign, digits with an optional fraction, and an optional exponent; at most
// 38 significant digits.
func ValidNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, start := 0, i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 || i == start {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s) && digits <= 38+2
}

// ValidBody reports whether s has only the characters SQS allows in a
// message: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to
// #x10FFFF, as valid UTF-8.
func ValidBody(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != 0x9 && c != 0xA && c != 0xD {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}
