package snsfilter

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file parses the policy as SNS does before anything else: with
// Jackson (2.17 or later), reporting syntax errors with Jackson's messages
// and its redacted location line. The result is a tree in which a
// duplicated key keeps its first position and its last value, as in
// Jackson's ObjectNode.

// node is a parsed JSON value.
type node struct {
	kind  byte // '{', '[', 's' string, 'n' number, 't', 'f', 'z' (null)
	text  string
	keys  []string // '{'
	vals  []*node  // '{' values, '[' elements
	isInt bool     // 'n': an integer token
}

const (
	maxNestingDepth = 1000 // Jackson's StreamReadConstraints defaults
	maxNumberLength = 1000
	validValues     = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
)

type jsonParser struct {
	s       string
	i       int // byte offset of the next character
	line    int // 1-based
	col     int // UTF-16 offset of the next character in its line
	lastCol int // UTF-16 offset of the last character read
	depth   int
}

// jsonError is a syntax error: SNS's reason text and location.
type jsonError struct{ e *Error }

func parseJSON(s string) (root *node, err *Error) {
	p := &jsonParser{s: s, line: 1}
	defer func() {
		if r := recover(); r != nil {
			je, ok := r.(jsonError)
			if !ok {
				panic(r)
			}
			root, err = nil, je.e
		}
	}()
	c, ok := p.skipWS()
	if !ok {
		return nil, nil
	}
	root = p.value(c, ctxRoot)
	return root, nil
}

// fail reports msg at the current location (after the last character read).
func (p *jsonParser) fail(msg string) {
	panic(jsonError{&Error{Reason: jsonPrefix + msg, Location: redactedLocation(p.line, p.col+1)}})
}

// failAtChar reports msg at the last character read (Jackson's location
// "minus one" for unexpected characters).
func (p *jsonParser) failAtChar(msg string) {
	panic(jsonError{&Error{Reason: jsonPrefix + msg, Location: redactedLocation(p.line, p.lastCol+1)}})
}

// failNoLocation reports msg without a location line.
func (p *jsonParser) failNoLocation(msg string) {
	panic(jsonError{&Error{Reason: jsonPrefix + msg}})
}

func (p *jsonParser) unexpected(r rune, comment string) {
	p.failAtChar("Unexpected character (" + charDesc(r) + "): " + comment)
}

// read consumes one character; ok is false at the end of the input.
func (p *jsonParser) read() (rune, bool) {
	if p.i >= len(p.s) {
		return 0, false
	}
	r, size := utf8.DecodeRuneInString(p.s[p.i:])
	p.i += size
	p.lastCol = p.col
	if r >= 0x10000 {
		p.col += 2
	} else {
		p.col++
	}
	return r, true
}

func (p *jsonParser) peek() (rune, bool) {
	if p.i >= len(p.s) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return r, true
}

func (p *jsonParser) newline() {
	p.line++
	p.col = 0
}

// skipWS consumes white space and returns the next character, consumed.
func (p *jsonParser) skipWS() (rune, bool) {
	for {
		r, ok := p.read()
		if !ok {
			return 0, false
		}
		switch {
		case r == ' ' || r == '\t':
		case r == '\n':
			p.newline()
		case r == '\r':
			if n, ok := p.peek(); ok && n == '\n' {
				p.read()
			}
			p.newline()
		case r < ' ':
			p.fail("Illegal character (" + charDesc(r) + `): only regular white space (\r, \n, \t) is allowed between tokens`)
		case r == '/':
			p.unexpected(r, "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)")
		default:
			return r, true
		}
	}
}

type context struct {
	kind      byte // 0 root, '{', '['
	line, col int  // start marker (1-based column)
}

var ctxRoot = context{}

func typeDesc(k byte) string {
	switch k {
	case '{':
		return "Object"
	case '[':
		return "Array"
	}
	return "root"
}

func (p *jsonParser) eofInContainer(c context) {
	p.fail("Unexpected end-of-input: expected close marker for " + typeDesc(c.kind) +
		" (start marker at [Source: " + redacted + "; line: " + strconv.Itoa(c.line) +
		", column: " + strconv.Itoa(c.col) + "])")
}

func (p *jsonParser) mismatched(r rune, c context) {
	want := '}'
	if c.kind == '[' {
		want = ']'
	}
	p.fail("Unexpected close marker '" + string(r) + "': expected '" + string(want) + "' (for " +
		typeDesc(c.kind) + " starting at [Source: " + redacted + "; line: " + strconv.Itoa(c.line) +
		", column: " + strconv.Itoa(c.col) + "])")
}

// value parses the value whose first character c has been consumed.
func (p *jsonParser) value(c rune, in context) *node {
	switch {
	case c == '"':
		return &node{kind: 's', text: p.str(false)}
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == 't':
		p.literal("true")
		return &node{kind: 't'}
	case c == 'f':
		p.literal("false")
		return &node{kind: 'f'}
	case c == 'n':
		p.literal("null")
		return &node{kind: 'z'}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(c, in)
	case c == '}':
		p.unexpected(c, "expected a value")
	case c == 'N':
		p.literal("NaN")
		p.fail("Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")
	case c == 'I':
		p.literal("Infinity")
		p.fail("Non-standard token 'Infinity': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")
	case c == '+':
		n, ok := p.read()
		if !ok {
			p.fail("Unexpected end-of-input in a Number value")
		}
		p.failNoLocation("Unexpected character (" + charDesc(n) + ") in numeric value: JSON spec does not allow numbers to have plus signs: enable `JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow")
	case isJavaIdentifierStart(c):
		p.invalidToken(string(c))
	}
	p.unexpected(c, "expected a valid value "+validValues)
	return nil
}

// literal matches the rest of true, false, null, NaN or Infinity.
func (p *jsonParser) literal(word string) {
	for i := 1; i < len(word); i++ {
		r, ok := p.peek()
		if !ok || r != rune(word[i]) {
			p.invalidToken(word[:i])
		}
		p.read()
	}
	if r, ok := p.peek(); ok && isJavaIdentifierPart(r) {
		p.invalidToken(word)
	}
}

// invalidToken reports "Unrecognized token", reading the rest of what
// looks like the token (Jackson's heuristic: Java identifier characters).
func (p *jsonParser) invalidToken(matched string) {
	var b strings.Builder
	b.WriteString(matched)
	n := utf16Len(matched)
	for {
		r, ok := p.peek()
		if !ok || !isJavaIdentifierPart(r) {
			break
		}
		p.read()
		b.WriteRune(r)
		n++
		if n >= 256 {
			b.WriteString("...")
			break
		}
	}
	p.fail("Unrecognized token '" + b.String() + "': was expecting " + validValues)
}

func (p *jsonParser) push(kind byte) context {
	p.depth++
	if p.depth > maxNestingDepth {
		p.failNoLocation("Document nesting depth (" + strconv.Itoa(p.depth) +
			") exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)")
	}
	return context{kind: kind, line: p.line, col: p.lastCol + 1}
}

func (p *jsonParser) object() *node {
	ctx := p.push('{')
	n := &node{kind: '{'}
	var index map[string]int
	c, ok := p.skipWS()
	if !ok {
		p.eofInContainer(ctx)
	}
	if c == '}' {
		p.depth--
		return n
	}
	if c == ']' {
		p.mismatched(c, ctx)
	}
	for {
		if c != '"' {
			p.unexpected(c, "was expecting double-quote to start field name")
		}
		name := p.str(true)
		c, ok = p.skipWS()
		if !ok {
			p.fail("Unexpected end-of-input within/between Object entries")
		}
		if c != ':' {
			p.unexpected(c, "was expecting a colon to separate field name and value")
		}
		c, ok = p.skipWS()
		if !ok {
			p.fail("Unexpected end-of-input within/between Object entries")
		}
		v := p.value(c, ctx)
		if i, dup := index[name]; dup {
			n.vals[i] = v
		} else {
			if index == nil {
				index = make(map[string]int)
			}
			index[name] = len(n.keys)
			n.keys = append(n.keys, name)
			n.vals = append(n.vals, v)
		}
		c, ok = p.skipWS()
		if !ok {
			p.eofInContainer(ctx)
		}
		switch c {
		case '}':
			p.depth--
			return n
		case ']':
			p.mismatched(c, ctx)
		case ',':
			c, ok = p.skipWS()
			if !ok {
				p.fail("Unexpected end-of-input within/between Object entries")
			}
		default:
			p.unexpected(c, "was expecting comma to separate Object entries")
		}
	}
}

func (p *jsonParser) array() *node {
	ctx := p.push('[')
	n := &node{kind: '['}
	c, ok := p.skipWS()
	if !ok {
		p.eofInContainer(ctx)
	}
	switch c {
	case ']':
		p.depth--
		return n
	case '}':
		p.mismatched(c, ctx)
	}
	for {
		if c == ']' {
			p.unexpected(c, "expected a valid value "+validValues)
		}
		n.vals = append(n.vals, p.value(c, ctx))
		c, ok = p.skipWS()
		if !ok {
			p.eofInContainer(ctx)
		}
		switch c {
		case ']':
			p.depth--
			return n
		case '}':
			p.mismatched(c, ctx)
		case ',':
			c, ok = p.skipWS()
			if !ok {
				p.fail("Unexpected end-of-input within/between Array entries")
			}
		default:
			p.unexpected(c, "was expecting comma to separate Array entries")
		}
	}
}

// str reads a string whose opening quote has been consumed.
func (p *jsonParser) str(name bool) string {
	var b strings.Builder
	for {
		r, ok := p.read()
		if !ok {
			if name {
				p.fail("Unexpected end-of-input in field name")
			}
			p.fail("Unexpected end-of-input: was expecting closing quote for a string value")
		}
		switch {
		case r == '"':
			return b.String()
		case r == '\\':
			p.escape(&b)
		case r < 0x20:
			what := "string value"
			if name {
				what = "name"
			}
			p.fail("Illegal unquoted character (" + charDesc(r) + "): has to be escaped using backslash to be included in " + what)
		default:
			b.WriteRune(r)
		}
	}
}

func (p *jsonParser) escape(b *strings.Builder) {
	r, ok := p.read()
	if !ok {
		p.fail("Unexpected end-of-input in character escape sequence")
	}
	switch r {
	case '"', '\\', '/':
		b.WriteRune(r)
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case 'u':
		v := p.hex4()
		if utf16.IsSurrogate(rune(v)) && v < 0xdc00 && strings.HasPrefix(p.s[p.i:], `\u`) {
			save := *p
			p.read()
			p.read()
			lo := p.hex4()
			if lo >= 0xdc00 && lo <= 0xdfff {
				b.WriteRune(utf16.DecodeRune(rune(v), rune(lo)))
				return
			}
			*p = save
		}
		b.WriteRune(rune(v)) // a lone surrogate becomes U+FFFD
	default:
		p.fail("Unrecognized character escape " + charDesc(r))
	}
}

func (p *jsonParser) hex4() int {
	v := 0
	for k := 0; k < 4; k++ {
		r, ok := p.read()
		if !ok {
			p.fail("Unexpected end-of-input in character escape sequence")
		}
		d := hexVal(r)
		if d < 0 {
			p.unexpected(r, "expected a hex-digit for character escape sequence")
		}
		v = v<<4 | d
	}
	return v
}

func hexVal(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'a' && r <= 'f':
		return int(r-'a') + 10
	case r >= 'A' && r <= 'F':
		return int(r-'A') + 10
	}
	return -1
}

// number reads a number whose first character c has been consumed.
func (p *jsonParser) number(c rune, in context) *node {
	start := p.i - 1
	digits := func() int {
		n := 0
		for {
			r, ok := p.peek()
			if !ok || r < '0' || r > '9' {
				return n
			}
			p.read()
			n++
		}
	}
	isInt := true
	if c == '-' {
		r, ok := p.read()
		if !ok {
			p.fail("Unexpected end-of-input in a Number value")
		}
		if r < '0' || r > '9' {
			p.failNoLocation("Unexpected character (" + charDesc(r) + ") in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value")
		}
		c = r
	}
	if c == '0' {
		if r, ok := p.peek(); ok && r >= '0' && r <= '9' {
			p.failNoLocation("Invalid numeric value: Leading zeroes not allowed")
		}
	} else {
		digits()
	}
	if r, ok := p.peek(); ok && r == '.' {
		p.read()
		isInt = false
		if digits() == 0 {
			p.numberEnd("Decimal point not followed by a digit")
		}
	}
	if r, ok := p.peek(); ok && (r == 'e' || r == 'E') {
		p.read()
		isInt = false
		if r, ok := p.peek(); ok && (r == '+' || r == '-') {
			p.read()
		}
		if digits() == 0 {
			p.numberEnd("Exponent indicator not followed by a digit")
		}
	}
	text := p.s[start:p.i]
	if len(text) > maxNumberLength {
		p.failNoLocation("Number value length (" + strconv.Itoa(len(text)) +
			") exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNumberLength()`)")
	}
	if in.kind == 0 {
		if r, ok := p.peek(); ok && r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			p.read()
			p.unexpected(r, "Expected space separating root-level values")
		}
	}
	return &node{kind: 'n', text: text, isInt: isInt}
}

func (p *jsonParser) numberEnd(comment string) {
	r, ok := p.peek()
	if !ok {
		p.fail("Unexpected end-of-input in a Number value")
	}
	p.failNoLocation("Unexpected character (" + charDesc(r) + ") in numeric value: " + comment)
}

// isJavaIdentifierStart approximates Character.isJavaIdentifierStart for
// one UTF-16 unit (Jackson tests chars, so supplementary characters never
// qualify).
func isJavaIdentifierStart(r rune) bool {
	if r >= 0x10000 {
		return false
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Sc, r) || unicode.Is(unicode.Pc, r)
}

// isJavaIdentifierPart approximates Character.isJavaIdentifierPart.
func isJavaIdentifierPart(r rune) bool {
	if r >= 0x10000 {
		return false
	}
	if isJavaIdentifierStart(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
		return true
	}
	// identifier-ignorable characters
	return (r >= 0 && r <= 8) || (r >= 0xe && r <= 0x1b) || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Cf, r)
}
