package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// member is one name/value pair of a JSON object, in document order.
type member struct {
	name string
	val  json.RawMessage
}

// jsonKind reports the kind of a raw JSON value by its first byte.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	switch raw[0] {
	case '{', '[', '"', 'n':
		return raw[0]
	case 't', 'f':
		return 'b'
	default:
		return '0' // number
	}
}

func kindName(k byte) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 'b':
		return "a boolean"
	case '0':
		return "a number"
	}
	return "empty"
}

// objectMembers returns the members of the JSON object raw in order; a
// repeated name is an error.
func objectMembers(raw json.RawMessage) ([]member, error) {
	if jsonKind(raw) != '{' {
		return nil, fmt.Errorf("must be an object, not %s", kindName(jsonKind(raw)))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("malformed object")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate element %q", name)
		}
		seen[name] = true
		out = append(out, member{name, v})
	}
	return out, nil
}

// arrayElems returns the elements of the JSON array raw.
func arrayElems(raw json.RawMessage) ([]json.RawMessage, error) {
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonString decodes a JSON string value.
func jsonString(raw json.RawMessage) (string, error) {
	if k := jsonKind(raw); k != '"' {
		return "", fmt.Errorf("must be a string, not %s", kindName(k))
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// strList is a string-or-list element; list records which form was written.
type strList struct {
	vals []string
	list bool
}

// stringOrList decodes a string or a non-empty array of strings.
func stringOrList(raw json.RawMessage) (strList, error) {
	switch k := jsonKind(raw); k {
	case '"':
		s, err := jsonString(raw)
		return strList{vals: []string{s}}, err
	case '[':
		elems, err := arrayElems(raw)
		if err != nil {
			return strList{}, err
		}
		if len(elems) == 0 {
			return strList{}, errors.New("must not be an empty list")
		}
		out := strList{list: true, vals: make([]string, 0, len(elems))}
		for i, e := range elems {
			s, err := jsonString(e)
			if err != nil {
				return strList{}, fmt.Errorf("item %d %v", i, err)
			}
			out.vals = append(out.vals, s)
		}
		return out, nil
	default:
		return strList{}, fmt.Errorf("must be a string or a list of strings, not %s", kindName(k))
	}
}

// condValue is one condition value; lit is set when it was written as a JSON
// number or boolean rather than a string (it is then rendered unquoted).
type condValue struct {
	s   string
	lit bool
}

// condValues decodes a condition value: a string, number or boolean, or a
// non-empty list of them.
func condValues(raw json.RawMessage) ([]condValue, bool, error) {
	one := func(r json.RawMessage) (condValue, error) {
		switch k := jsonKind(r); k {
		case '"':
			s, err := jsonString(r)
			return condValue{s: s}, err
		case '0', 'b':
			return condValue{s: string(bytes.TrimSpace(r)), lit: true}, nil
		default:
			return condValue{}, fmt.Errorf("must be a string, number or boolean, not %s", kindName(k))
		}
	}
	if jsonKind(raw) != '[' {
		v, err := one(raw)
		return []condValue{v}, false, err
	}
	elems, err := arrayElems(raw)
	if err != nil {
		return nil, true, err
	}
	if len(elems) == 0 {
		return nil, true, errors.New("must not be an empty list")
	}
	out := make([]condValue, 0, len(elems))
	for i, e := range elems {
		v, err := one(e)
		if err != nil {
			return nil, true, fmt.Errorf("item %d %v", i, err)
		}
		out = append(out, v)
	}
	return out, true, nil
}
