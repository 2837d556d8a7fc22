package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// This file is a small ordered JSON writer: the formats must reproduce
// their documented key order, and must pass the application's data through
// with every number's digits intact, so objects are kept as ordered lists
// of raw members instead of Go maps.

// member is one "key": value pair of an object; value is raw JSON.
type member struct {
	key   string
	value json.RawMessage
}

// object is a JSON object in key order.
type object []member

var errNotObject = errors.New("not a JSON object")

// parseObject decodes raw, which must be exactly one JSON object, keeping
// its members' order and raw values. Duplicate keys are kept.
func parseObject(raw []byte) (object, error) {
	if !json.Valid(raw) {
		return nil, errors.New("not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	o := object{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is %T", tok)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o = append(o, member{key: key, value: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return o, nil
}

// index returns the position of key's last occurrence (the one a decoder
// keeps), or -1.
func (o object) index(key string) int {
	for i := len(o) - 1; i >= 0; i-- {
		if o[i].key == key {
			return i
		}
	}
	return -1
}

// get returns key's value; ok is false when key is absent.
func (o object) get(key string) (json.RawMessage, bool) {
	i := o.index(key)
	if i < 0 {
		return nil, false
	}
	return o[i].value, true
}

// has reports whether key is present.
func (o object) has(key string) bool { return o.index(key) >= 0 }

// set replaces key's value where key first appears, dropping any duplicate
// occurrences, or appends key when it is absent.
func (o object) set(key string, value json.RawMessage) object {
	first := -1
	out := o[:0:0]
	for _, m := range o {
		if m.key != key {
			out = append(out, m)
			continue
		}
		if first < 0 {
			first = len(out)
			out = append(out, member{key: key, value: value})
		}
	}
	if first < 0 {
		out = append(out, member{key: key, value: value})
	}
	return out
}

// setInOrder sets key like set, but inserts an absent key where order (a
// documented key order that includes key) puts it: after the nearest
// preceding key of order that o has, else before the nearest following
// one, else at the end.
func (o object) setInOrder(key string, value json.RawMessage, order []string) object {
	if o.has(key) {
		return o.set(key, value)
	}
	at := len(o)
	pos := -1
	for i, k := range order {
		if k == key {
			pos = i
		}
	}
	if pos >= 0 {
		placed := false
		for i := pos - 1; i >= 0 && !placed; i-- {
			if j := o.firstIndex(order[i]); j >= 0 {
				at, placed = j+1, true
			}
		}
		for i := pos + 1; i < len(order) && !placed; i++ {
			if j := o.firstIndex(order[i]); j >= 0 {
				at, placed = j, true
			}
		}
	}
	out := make(object, 0, len(o)+1)
	out = append(out, o[:at]...)
	out = append(out, member{key: key, value: value})
	return append(out, o[at:]...)
}

func (o object) firstIndex(key string) int {
	for i, m := range o {
		if m.key == key {
			return i
		}
	}
	return -1
}

// add appends a member without checking for duplicates: for building
// objects whose keys the code controls.
func (o object) add(key string, value json.RawMessage) object {
	return append(o, member{key: key, value: value})
}

// appendJSON appends o, compact, to b. It fails only when a raw value is
// not valid JSON.
func (o object) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.key)
		b = append(b, ':')
		var err error
		if b, err = appendCompact(b, m.value); err != nil {
			return nil, fmt.Errorf("value of %q: %w", m.key, err)
		}
	}
	return append(b, '}'), nil
}

// raw returns o as compact JSON.
func (o object) raw() (json.RawMessage, error) {
	return o.appendJSON(nil)
}

// appendCompact appends raw JSON to b without insignificant space.
func appendCompact(b []byte, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendString appends s as a JSON string. Unlike json.Marshal it leaves
// <, > and & alone, so "<uuid>" stays as written.
func appendString(b []byte, s string) []byte {
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := buf.Bytes()
	return out[:len(out)-1] // Encode's newline
}

// jsonString returns s as a raw JSON string.
func jsonString(s string) json.RawMessage { return appendString(nil, s) }

// jsonInt returns n as a raw JSON number.
func jsonInt(n int64) json.RawMessage { return strconv.AppendInt(nil, n, 10) }

// kind returns the JSON type of a valid raw value: 'o'bject, 'a'rray,
// 's'tring, 'n'umber, 'b'oolean or 'z' for null; 0 for empty input.
func kind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	switch raw[0] {
	case '{':
		return 'o'
	case '[':
		return 'a'
	case '"':
		return 's'
	case 't', 'f':
		return 'b'
	case 'n':
		return 'z'
	default:
		return 'n'
	}
}

// stringField returns the string at key. ok is false when key is absent
// or null; a value of another type is an error.
func (o object) stringField(key string) (s string, ok bool, err error) {
	raw, present := o.get(key)
	if !present || kind(raw) == 'z' {
		return "", false, nil
	}
	if kind(raw) != 's' {
		return "", false, fmt.Errorf("data.%s must be a string", key)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("data.%s: %w", key, err)
	}
	return s, true, nil
}
