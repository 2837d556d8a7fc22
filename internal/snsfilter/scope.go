package snsfilter

// Scope is a subscription's FilterPolicyScope: what its filter policy is
// matched against.
type Scope int

const (
	// ScopeMessageAttributes matches the message attributes (the default).
	ScopeMessageAttributes Scope = iota
	// ScopeMessageBody matches the message body, read as a JSON object.
	ScopeMessageBody
)

// String returns the scope's wire name.
func (s Scope) String() string {
	if s == ScopeMessageBody {
		return "MessageBody"
	}
	return "MessageAttributes"
}

// ParseScope parses a FilterPolicyScope attribute value. The empty string
// is the default, MessageAttributes. Any other value than the two names
// (case-sensitive) is an *Error whose text is AWS's reason, e.g.
// "FilterPolicyScope: Invalid value [RandomValue]. Please use either
// MessageBody or MessageAttributes".
func ParseScope(s string) (Scope, error) {
	switch s {
	case "", "MessageAttributes":
		return ScopeMessageAttributes, nil
	case "MessageBody":
		return ScopeMessageBody, nil
	}
	return ScopeMessageAttributes, &Error{Reason: "FilterPolicyScope: Invalid value [" + s +
		"]. Please use either MessageBody or MessageAttributes"}
}
