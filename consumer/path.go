package consumer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A Path selects values in a decoded JSON document. Two syntaxes are
// accepted:
//
//   - a JSON Pointer (RFC 6901) when the text starts with "/":
//     "/person/organization/id", "/Records/0/s3/object/key";
//   - a dotted path otherwise, where a name may be followed by "[]" (every
//     element of the array) or "[N]" (element N):
//     "id", "person.organization.id", "Records[].s3.object.sequencer",
//     "Events[0].EventType".
//
// A path selects nothing (not an error) where the document lacks a field.
type Path struct {
	text  string
	steps []step
}

type step struct {
	name  string // object member; "" for a bare index step
	index int    // array index when isIndex
	// isIndex selects one element, each selects all elements; at most one
	// of them is set, and they apply after name (when name is set).
	isIndex bool
	each    bool
	// hasName tells "" (the empty member name, possible in JSON Pointer)
	// from no name.
	hasName bool
}

// ParsePath parses a path in either syntax.
func ParsePath(text string) (Path, error) {
	if text == "" {
		return Path{}, fmt.Errorf("empty path")
	}
	if strings.HasPrefix(text, "/") {
		return parsePointer(text)
	}
	p := Path{text: text}
	for _, seg := range strings.Split(text, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name == "" && rest == "" {
			return Path{}, fmt.Errorf("path %q: empty segment", text)
		}
		if name != "" {
			p.steps = append(p.steps, step{name: name, hasName: true, index: -1})
		}
		if !strings.Contains(seg, "[") {
			continue
		}
		// One or more bracket groups: "[]", "[3]", "[0][]".
		brackets := seg[len(name):]
		for brackets != "" {
			if brackets[0] != '[' {
				return Path{}, fmt.Errorf("path %q: unexpected %q", text, brackets)
			}
			end := strings.IndexByte(brackets, ']')
			if end < 0 {
				return Path{}, fmt.Errorf("path %q: missing ]", text)
			}
			inner := brackets[1:end]
			brackets = brackets[end+1:]
			if inner == "" {
				p.steps = append(p.steps, step{each: true})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return Path{}, fmt.Errorf("path %q: bad array index %q", text, inner)
			}
			p.steps = append(p.steps, step{index: n, isIndex: true})
		}
	}
	return p, nil
}

func parsePointer(text string) (Path, error) {
	p := Path{text: text}
	for _, tok := range strings.Split(text[1:], "/") {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(tok, "~0", ""), "~1", ""), "~") {
			return Path{}, fmt.Errorf("JSON pointer %q: bad escape in %q", text, tok)
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		// A pointer token names a member of an object or, when it is a
		// number, an element of an array: decided when applied.
		p.steps = append(p.steps, step{name: tok, hasName: true, index: pointerIndex(tok)})
	}
	return p, nil
}

// pointerIndex is tok as an array index, or -1.
func pointerIndex(tok string) int {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return -1
	}
	n, err := strconv.Atoi(tok)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// MustParsePath is ParsePath for paths known to be valid; it panics on error.
func MustParsePath(text string) Path {
	p, err := ParsePath(text)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the path as written.
func (p Path) String() string { return p.text }

// IsZero reports whether p is the zero Path (no path configured).
func (p Path) IsZero() bool { return p.text == "" }

// Values returns every value the path selects in doc, in document order.
func (p Path) Values(doc any) []any {
	cur := []any{doc}
	for _, s := range p.steps {
		var next []any
		for _, v := range cur {
			next = s.apply(v, next)
		}
		if len(next) == 0 {
			return nil
		}
		cur = next
	}
	return cur
}

func (s step) apply(v any, out []any) []any {
	if s.hasName {
		switch x := v.(type) {
		case map[string]any:
			m, ok := x[s.name]
			if !ok {
				return out
			}
			v = m
		case []any:
			// JSON Pointer token applied to an array.
			if s.index < 0 || s.index >= len(x) || s.isIndex || s.each {
				return out
			}
			v = x[s.index]
		default:
			return out
		}
	}
	switch {
	case s.each:
		arr, ok := v.([]any)
		if !ok {
			return out
		}
		return append(out, arr...)
	case s.isIndex:
		arr, ok := v.([]any)
		if !ok || s.index >= len(arr) {
			return out
		}
		return append(out, arr[s.index])
	}
	return append(out, v)
}

// First returns the first value the path selects and whether there was one.
// It walks the document depth first and stops at the first value, without
// allocating (routing and subscription filters call it per event).
func (p Path) First(doc any) (any, bool) {
	return first(p.steps, doc)
}

func first(steps []step, v any) (any, bool) {
	if len(steps) == 0 {
		return v, true
	}
	s := steps[0]
	if s.hasName {
		switch x := v.(type) {
		case map[string]any:
			m, ok := x[s.name]
			if !ok {
				return nil, false
			}
			v = m
		case []any:
			if s.index < 0 || s.index >= len(x) || s.isIndex || s.each {
				return nil, false
			}
			v = x[s.index]
		default:
			return nil, false
		}
	}
	switch {
	case s.each:
		arr, ok := v.([]any)
		if !ok {
			return nil, false
		}
		for _, e := range arr {
			if r, ok := first(steps[1:], e); ok {
				return r, true
			}
		}
		return nil, false
	case s.isIndex:
		arr, ok := v.([]any)
		if !ok || s.index >= len(arr) {
			return nil, false
		}
		v = arr[s.index]
	}
	return first(steps[1:], v)
}

// ValueString renders a selected value as text: strings as they are,
// numbers as written in the document, true/false/null as in JSON, objects
// and arrays as compact JSON.
func ValueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// DecodeJSON decodes a JSON document into any, keeping numbers as
// json.Number so that large ids keep every digit. It returns an error when
// data is not exactly one JSON value.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}
