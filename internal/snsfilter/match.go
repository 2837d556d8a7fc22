package snsfilter

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
)

// Attribute is one SNS message attribute. Type is its DataType ("String",
// "Number", "String.Array", "Binary", possibly with a custom suffix such as
// "Number.float"); Value is its StringValue. Binary attributes are ignored.
type Attribute struct{ Type, Value string }

// MatchAttributes reports whether a message with these attributes passes
// the policy. It does not look at the scope: a MessageBody policy can be
// matched against attributes and the other way round.
//
// String attributes are strings, Number attributes numbers (so the string
// "100" does not match the number 100, nor a numeric range), and a
// String.Array attribute is a JSON array any element of which may match.
// Binary attributes are not seen. A message without any (other) attribute
// matches no policy but the empty one.
func (p *Policy) MatchAttributes(attrs map[string]Attribute) bool {
	if p == nil || p.matchAll {
		return true
	}
	visible := false
	for _, a := range attrs {
		if !isBinary(a.Type) {
			visible = true
			break
		}
	}
	if !visible {
		return false
	}
	for _, b := range p.rules {
		if matchAttrBranch(b, attrs) {
			return true
		}
	}
	return false
}

func matchAttrBranch(b branch, attrs map[string]Attribute) bool {
	for i := range b {
		if !matchAttrLeaf(&b[i], attrs) {
			return false
		}
	}
	return true
}

func matchAttrLeaf(l *leaf, attrs map[string]Attribute) bool {
	a, ok := attrs[l.name]
	if ok && isBinary(a.Type) {
		ok = false
	}
	var one [1]value
	var vals []value
	if ok {
		switch {
		case a.Type == "String.Array":
			vals = arrayValues(a.Value)
		case a.Type == "Number" || strings.HasPrefix(a.Type, "Number."):
			one[0] = numberValue(a.Value)
			vals = one[:]
		default:
			one[0] = value{kind: vString, s: a.Value}
			vals = one[:]
		}
	}
	return matchValues(l.pats, vals)
}

// matchValues reports whether any pattern matches any value, an exists
// pattern deciding on whether any value is present.
func matchValues(pats []pattern, vals []value) bool {
	for i := range pats {
		p := &pats[i]
		if p.kind == pExists {
			if (p.flags == 1) == anyPresent(vals) {
				return true
			}
			continue
		}
		for _, v := range vals {
			if p.match(v) {
				return true
			}
		}
	}
	return false
}

func anyPresent(vals []value) bool {
	for _, v := range vals {
		if v.present() {
			return true
		}
	}
	return false
}

func isBinary(t string) bool { return t == "Binary" || strings.HasPrefix(t, "Binary.") }

// arrayValues reads a String.Array value: the scalars of a JSON array,
// nested arrays flattened. Anything else yields no value.
func arrayValues(s string) []value {
	if out, ok := quickArray(s); ok {
		return out
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	t, err := d.Token()
	if err != nil || t != json.Delim('[') {
		return nil
	}
	var out []value
	depth := 1
	for depth > 0 {
		t, err := d.Token()
		if err != nil {
			return nil
		}
		switch t := t.(type) {
		case json.Delim:
			switch t {
			case '[':
				depth++
			case ']':
				depth--
			default: // an object: its members are not the attribute's values
				if skipValue(d, 1) != nil {
					return nil
				}
			}
		default:
			out = append(out, scalar(t))
		}
	}
	if _, err := d.Token(); err != io.EOF {
		return nil // trailing content
	}
	return out
}

// quickArray reads a flat array of unescaped strings, numbers, true, false
// and null without allocating per element; ok is false for anything else,
// which arrayValues then reads the slow way.
func quickArray(s string) (out []value, ok bool) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '[' {
		return nil, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return nil, skipSpace(s, i+1) == len(s)
	}
	for i < len(s) {
		var v value
		switch c := s[i]; {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\\' && s[j] >= 0x20 {
				j++
			}
			if j >= len(s) || s[j] != '"' {
				return nil, false
			}
			v, i = value{kind: vString, s: s[i+1 : j]}, j+1
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && strings.IndexByte("0123456789.eE+-", s[j]) >= 0 {
				j++
			}
			if !json.Valid([]byte(s[i:j])) {
				return nil, false
			}
			v, i = numberValue(s[i:j]), j
		case strings.HasPrefix(s[i:], "true"):
			v, i = value{kind: vTrue}, i+4
		case strings.HasPrefix(s[i:], "false"):
			v, i = value{kind: vFalse}, i+5
		case strings.HasPrefix(s[i:], "null"):
			v, i = value{kind: vNull}, i+4
		default:
			return nil, false
		}
		if out == nil {
			out = make([]value, 0, 4)
		}
		out = append(out, v)
		i = skipSpace(s, i)
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case ']':
			return out, skipSpace(s, i+1) == len(s)
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipValue skips the rest of a container whose opening delimiter has
// been read.
func skipValue(d *json.Decoder, depth int) error {
	for depth > 0 {
		t, err := d.Token()
		if err != nil {
			return err
		}
		if t, ok := t.(json.Delim); ok {
			if t == '[' || t == '{' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

func scalar(t json.Token) value {
	switch t := t.(type) {
	case string:
		return value{kind: vString, s: t}
	case json.Number:
		return numberValue(string(t))
	case bool:
		if t {
			return value{kind: vTrue}
		}
		return value{kind: vFalse}
	}
	return value{kind: vNull}
}

// MatchBody reports whether a message with this body passes the policy.
// The body must be a JSON object (an empty policy matches any body). Keys
// are paths: {"a":{"b":1}} and {"a.b":1} both give "a.b" the value 1. An
// array gives its key each of its elements, so any may match; the values
// one branch of the policy uses must come from the same element of an
// array that they share.
func (p *Policy) MatchBody(body string) bool {
	if p == nil || p.matchAll {
		return true
	}
	f := flattener{d: json.NewDecoder(strings.NewReader(body)), paths: p.paths, fields: make(map[string][]field)}
	f.d.UseNumber()
	if t, err := f.d.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	if f.object("", nil) != nil || f.leaves == 0 {
		return false
	}
	for _, b := range p.rules {
		if matchBodyBranch(b, f.fields) {
			return true
		}
	}
	return false
}

// A field is one value at a path of the body, with the array elements it
// sits in.
type field struct {
	v  value
	in []slot
}

type slot struct{ array, index int }

type flattener struct {
	d      *json.Decoder
	paths  map[string]bool
	fields map[string][]field
	leaves int // values anywhere in the body
	arrays int
}

// object reads an object's members (its "{" has been read).
func (f *flattener) object(prefix string, in []slot) error {
	for {
		t, err := f.d.Token()
		if err != nil {
			return err
		}
		if t == json.Delim('}') {
			return nil
		}
		key, _ := t.(string)
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		if err := f.value(path, in); err != nil {
			return err
		}
	}
}

func (f *flattener) value(path string, in []slot) error {
	t, err := f.d.Token()
	if err != nil {
		return err
	}
	switch t {
	case json.Delim('{'):
		if !f.paths[path] {
			return f.skip(1)
		}
		return f.object(path, in)
	case json.Delim('['):
		id := f.arrays
		f.arrays++
		for i := 0; f.d.More(); i++ {
			if err := f.value(path, append(in[:len(in):len(in)], slot{id, i})); err != nil {
				return err
			}
		}
		_, err := f.d.Token() // ]
		return err
	}
	f.leaves++
	if f.paths[path] {
		f.fields[path] = append(f.fields[path], field{v: scalar(t), in: in})
	}
	return nil
}

// skip skips an irrelevant container, still counting its values.
func (f *flattener) skip(depth int) error {
	for depth > 0 {
		t, err := f.d.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		default:
			f.leaves++
		}
	}
	return nil
}

// A choice is a value chosen for one key of a branch; nil stands for an
// absent key that {"exists": false} accepts.
type choice []*field

func matchBodyBranch(b branch, fields map[string][]field) bool {
	cands := make([]choice, len(b))
	for i := range b {
		l := &b[i]
		fs := fields[l.name]
		var c choice
		absentOK := false
		for _, p := range l.pats {
			if p.kind == pExists && p.flags == 0 && !anyPresentField(fs) {
				absentOK = true
			}
		}
		for j := range fs {
			if fieldMatches(l.pats, &fs[j]) {
				c = append(c, &fs[j])
			}
		}
		if absentOK {
			c = append(c, nil)
		}
		if len(c) == 0 {
			return false
		}
		cands[i] = c
	}
	sort.SliceStable(cands, func(i, j int) bool { return len(cands[i]) < len(cands[j]) })
	budget := maxSteps
	return consistent(cands, map[int]int{}, &budget)
}

// maxSteps bounds the search for values from consistent array elements,
// which nested arrays can make exponential; a body that needs more is
// taken not to match.
const maxSteps = 1 << 20

func anyPresentField(fs []field) bool {
	for _, f := range fs {
		if f.v.present() {
			return true
		}
	}
	return false
}

func fieldMatches(pats []pattern, f *field) bool {
	for i := range pats {
		p := &pats[i]
		if p.kind == pExists {
			if p.flags == 1 && f.v.present() {
				return true
			}
			continue
		}
		if p.match(f.v) {
			return true
		}
	}
	return false
}

// consistent reports whether a value can be chosen for every key so that
// values sharing an array come from the same element of it.
func consistent(cands []choice, chosen map[int]int, budget *int) bool {
	if len(cands) == 0 {
		return true
	}
next:
	for _, f := range cands[0] {
		if *budget--; *budget < 0 {
			return false
		}
		if f == nil {
			if consistent(cands[1:], chosen, budget) {
				return true
			}
			continue
		}
		var added []int
		for _, s := range f.in {
			if idx, ok := chosen[s.array]; ok {
				if idx != s.index {
					for _, a := range added {
						delete(chosen, a)
					}
					continue next
				}
				continue
			}
			chosen[s.array] = s.index
			added = append(added, s.array)
		}
		ok := consistent(cands[1:], chosen, budget)
		for _, a := range added {
			delete(chosen, a)
		}
		if ok {
			return true
		}
	}
	return false
}
