package snsfilter

import (
	"strconv"
	"strings"
)

// A pattern is one element of a key's list of values in a policy.
type pattern struct {
	kind   patKind
	s      string    // string operand; the literal text of a number
	f      float64   // numeric operand; a range's bottom
	top    float64   // a range's top
	strs   []string  // anything-but strings
	nums   []float64 // anything-but numbers
	ip, hi []byte    // an IP address, or a CIDR block's bounds
	flags  uint8
}

type patKind uint8

const (
	pExact              patKind = iota // a string
	pExactIP                           // a string that is an IP address: the same address
	pNumber                            // a number: numerically equal, or the same text
	pLiteral                           // true, false or null
	pPrefix                            // {"prefix": s}
	pSuffix                            // {"suffix": s}
	pEqualsIgnoreCase                  // {"equals-ignore-case": s}
	pAnythingButStrings                // {"anything-but": "s" | ["s", ...]}
	pAnythingButNumbers                // {"anything-but": n | [n, ...]}
	pAnythingButPrefix                 // {"anything-but": {"prefix": s}}
	pRange                             // {"numeric": [...]}
	pExists                            // {"exists": bool}; flags = 1 for true
	pCIDR                              // {"cidr": "a/n"}
)

// Range flags.
const (
	hasBottom uint8 = 1 << iota
	openBottom
	hasTop
	openTop
)

// A value is one value of a message attribute or body property, typed as
// in JSON.
type value struct {
	kind  valKind
	s     string  // a string, or a number's text
	f     float64 // a number
	numOK bool    // f holds the number (false if it overflows a double)
}

type valKind uint8

const (
	vString valKind = iota
	vNumber
	vTrue
	vFalse
	vNull
)

func numberValue(text string) value {
	f, err := strconv.ParseFloat(text, 64)
	return value{kind: vNumber, s: text, f: f, numOK: err == nil}
}

// present reports whether v counts for {"exists": true}: a value that is
// neither null nor empty.
func (v value) present() bool {
	return v.kind != vNull && !(v.kind == vString && v.s == "")
}

// match reports whether v matches p (p is not an exists pattern).
func (p *pattern) match(v value) bool {
	switch p.kind {
	case pExact:
		return v.kind == vString && v.s == p.s
	case pExactIP:
		if v.kind != vString {
			return false
		}
		ip, ok := parseIP(v.s)
		return ok && string(ip) == string(p.ip)
	case pNumber:
		return v.kind == vNumber && ((v.numOK && v.f == p.f) || v.s == p.s)
	case pLiteral:
		switch p.s {
		case "true":
			return v.kind == vTrue
		case "false":
			return v.kind == vFalse
		}
		return v.kind == vNull
	case pPrefix:
		return v.kind == vString && strings.HasPrefix(v.s, p.s)
	case pSuffix:
		return v.kind == vString && strings.HasSuffix(v.s, p.s)
	case pEqualsIgnoreCase:
		return v.kind == vString && strings.EqualFold(v.s, p.s)
	case pAnythingButStrings:
		if v.kind != vString {
			return true
		}
		for _, s := range p.strs {
			if s == v.s {
				return false
			}
		}
		return true
	case pAnythingButNumbers:
		if v.kind != vNumber || !v.numOK {
			return true
		}
		for _, f := range p.nums {
			if f == v.f {
				return false
			}
		}
		return true
	case pAnythingButPrefix:
		return v.kind != vString || !strings.HasPrefix(v.s, p.s)
	case pRange:
		if v.kind != vNumber || !v.numOK {
			return false
		}
		if p.flags&hasBottom != 0 && (v.f < p.f || (p.flags&openBottom != 0 && v.f == p.f)) {
			return false
		}
		if p.flags&hasTop != 0 && (v.f > p.top || (p.flags&openTop != 0 && v.f == p.top)) {
			return false
		}
		return true
	case pCIDR:
		if v.kind != vString {
			return false
		}
		ip, ok := parseIP(v.s)
		return ok && inCIDR(ip, p.ip, p.hi)
	}
	return false
}
