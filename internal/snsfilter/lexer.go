package snsfilter

import (
	"strconv"
	"strings"
)

// lexer reads the compact policy the way Jackson's streaming parser does,
// so that an error raised at any point can name the column Jackson would:
// a field name is read together with its colon and the first character of
// its value (all of a number, true, false or null; the opening quote of a
// string); a string value is read to its closing quote only when its text
// is asked for or the next token is read.
type lexer struct {
	s     string
	pos   int    // byte offset of Jackson's current location
	stack []byte // open containers

	cur     tok
	pending tok // the value after a field name, read but not yet returned
	name    string

	incomplete bool   // cur is a string whose closing quote is unread
	text       string // cur's text once read
}

type tok uint8

const (
	tEOF tok = iota
	tObjStart
	tObjEnd
	tArrStart
	tArrEnd
	tField
	tString
	tNumber
	tTrue
	tFalse
	tNull
)

// column is Jackson's 1-based column of the current location.
func (l *lexer) column() int { return utf16Len(l.s[:l.pos]) + 1 }

// next returns the next token.
func (l *lexer) next() tok {
	if l.cur == tField {
		l.deliver(l.pending)
		return l.cur
	}
	if l.incomplete {
		l.finishString()
	}
	if l.pos >= len(l.s) {
		l.cur = tEOF
		return tEOF
	}
	c := l.s[l.pos]
	switch c {
	case '}', ']':
		l.pos++
		if len(l.stack) > 0 {
			l.stack = l.stack[:len(l.stack)-1]
		}
		l.cur = tObjEnd
		if c == ']' {
			l.cur = tArrEnd
		}
		return l.cur
	case ',':
		l.pos++
	}
	if len(l.stack) > 0 && l.stack[len(l.stack)-1] == '{' {
		l.pos++ // opening quote
		l.name = l.readString()
		l.pos++ // colon
		l.pending = l.valueStart()
		l.cur = tField
		return tField
	}
	l.deliver(l.valueStart())
	return l.cur
}

func (l *lexer) deliver(t tok) {
	l.cur = t
	switch t {
	case tObjStart:
		l.stack = append(l.stack, '{')
	case tArrStart:
		l.stack = append(l.stack, '[')
	}
}

// valueStart reads the first character of a value, and all of it unless
// it is a string.
func (l *lexer) valueStart() tok {
	if l.pos >= len(l.s) {
		return tEOF
	}
	c := l.s[l.pos]
	l.pos++
	switch c {
	case '"':
		l.incomplete = true
		return tString
	case '{':
		return tObjStart
	case '[':
		return tArrStart
	case 't':
		l.pos += 3
		return tTrue
	case 'f':
		l.pos += 4
		return tFalse
	case 'n':
		l.pos += 3
		return tNull
	}
	start := l.pos - 1
	for l.pos < len(l.s) && strings.IndexByte("0123456789.eE+-", l.s[l.pos]) >= 0 {
		l.pos++
	}
	l.text = l.s[start:l.pos]
	return tNumber
}

func (l *lexer) finishString() {
	l.text = l.readString()
	l.incomplete = false
}

// readString reads a string from after its opening quote to after its
// closing quote, decoding the escapes compact writes.
func (l *lexer) readString() string {
	start := l.pos
	var b *strings.Builder
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if c == '"' {
			l.pos++
			if b == nil {
				return l.s[start : l.pos-1]
			}
			return b.String()
		}
		if c != '\\' {
			if b != nil {
				b.WriteByte(c)
			}
			l.pos++
			continue
		}
		if b == nil {
			b = &strings.Builder{}
			b.WriteString(l.s[start:l.pos])
		}
		l.pos++
		if l.pos >= len(l.s) {
			break
		}
		e := l.s[l.pos]
		l.pos++
		switch e {
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
			if l.pos+4 <= len(l.s) {
				v, _ := strconv.ParseUint(l.s[l.pos:l.pos+4], 16, 16)
				b.WriteRune(rune(v))
				l.pos += 4
			}
		default:
			b.WriteByte(e)
		}
	}
	if b == nil {
		return l.s[start:l.pos]
	}
	return b.String()
}

// getText is Jackson's getText for the current token; for a string it
// reads to the closing quote.
func (l *lexer) getText() string {
	switch l.cur {
	case tString:
		if l.incomplete {
			l.finishString()
		}
		return l.text
	case tNumber:
		return l.text
	case tField:
		return l.name
	case tObjStart:
		return "{"
	case tObjEnd:
		return "}"
	case tArrStart:
		return "["
	case tArrEnd:
		return "]"
	case tTrue:
		return "true"
	case tFalse:
		return "false"
	case tNull:
		return "null"
	}
	return ""
}
