package topic

import (
	"encoding/json"
	"strings"

	"github.com/herald-dev/herald/internal/queue"
)

// validateMessageAttributes checks a publish's message attributes as SNS
// does. Types are String, Number, Binary and String.Array, each with an
// optional custom suffix.
func validateMessageAttributes(attrs queue.MessageAttributes) error {
	for name, v := range attrs {
		if err := validateAttributeName(name); err != nil {
			return err
		}
		base := v.DataType
		if i := strings.IndexByte(base, '.'); i >= 0 && !strings.HasPrefix(base, "String.Array") {
			base = base[:i]
		}
		if strings.HasPrefix(base, "String.Array") {
			base = "String.Array"
		}
		switch base {
		case "String", "Number", "String.Array":
			if len(v.BinaryValue) > 0 {
				return paramInvalid("The message attribute '%s' with type '%s' must use field 'String'.", name, base)
			}
			if v.StringValue == "" {
				return paramInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
			}
			if base == "Number" && !queue.ValidNumber(v.StringValue) {
				return paramInvalid("Could not cast message attribute '%s' value to number.", name)
			}
			if base == "String.Array" {
				var arr []any
				if json.Unmarshal([]byte(v.StringValue), &arr) != nil {
					return paramInvalid("The message attribute '%s' with type 'String.Array' has an invalid value.", name)
				}
			}
		case "Binary":
			if v.StringValue != "" {
				return paramInvalid("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
			}
			if len(v.BinaryValue) == 0 {
				return paramInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		default:
			return paramInvalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
	}
	return nil
}

func paramInvalid(format string, args ...any) *Error {
	return Errorf(ErrParameterValueInvalid, format, args...)
}

func validateAttributeName(name string) error {
	if name == "" {
		return paramInvalid("The message attribute name must not be empty.")
	}
	if len(name) >= 256 {
		return paramInvalid("Length of message attribute name must be less than 256 bytes.")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return paramInvalid("Invalid non-alphanumeric character '#x%X' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.", rune(c))
		}
	}
	switch {
	case name[0] == '.':
		return paramInvalid("Invalid message attribute name starting with character '.' was found.")
	case name[len(name)-1] == '.':
		return paramInvalid("Invalid message attribute name ending with character '.' was found.")
	case strings.Contains(name, ".."):
		return paramInvalid("Message attribute name can not have successive '.' character.")
	case strings.HasPrefix(strings.ToLower(name), "aws.") || strings.HasPrefix(strings.ToLower(name), "amazon."):
		return paramInvalid("Message attribute name '%s' has a reserved prefix.", name)
	}
	return nil
}

// attributesSize is what message attributes add to a message's size: name,
// type and value bytes.
func attributesSize(attrs queue.MessageAttributes) int {
	n := 0
	for name, v := range attrs {
		n += len(name) + len(v.DataType) + len(v.StringValue) + len(v.BinaryValue)
	}
	return n
}
