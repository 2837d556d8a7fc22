package snsfilter

import (
	"strconv"
	"strings"
)

// This file is the rule compiler SNS runs on the compact policy: the
// "$or"-aware compiler, and the plain one that SNS falls back to when the
// first fails, which reads "$or" as an ordinary key. Both report errors
// with a location in the compact text (see lexer), except CIDR errors,
// which AWS reports without one. The result is the policy in disjunctive
// form: one branch per combination of "$or" choices, each branch a set of
// keys (dotted paths) with their lists of patterns.

// A leaf is one key of a branch and its list of patterns.
type leaf struct {
	name  string // the dotted path: {"a":{"b":[…]}} and {"a.b":[…]} are both "a.b"
	top   string // the top-level key it sits under
	depth int    // how many objects deep the list is: 1 at the top level
	count int    // how many values the list has
	pats  []pattern
}

// A branch must match in full for the policy to match.
type branch []leaf

// put adds l, replacing a leaf of the same name (a Java map's put).
func (b *branch) put(l leaf) {
	for i := range *b {
		if (*b)[i].name == l.name {
			(*b)[i] = l
			return
		}
	}
	*b = append(*b, l)
}

// reserved are the field names that stop "$or" from being read as OR.
var reserved = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true, "cidr": true,
	"=": true, "<": true, "<=": true, ">": true, ">=": true,
	"regex": true, "not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true, "date-on-or-before": true,
	"in-date-range": true, "ip-address-in-range": true, "ip-address-not-in-range": true,
}

type compiler struct {
	lx     *lexer
	useOr  bool
	path   []string
	nested bool // some list sits under a nested object

	// limit is set, and the rules no longer built, once they break a limit
	// that more keys and more branches can only break further: compiling
	// goes on for its syntax errors only. This bounds the work a large
	// policy makes, "$or" multiplying branches.
	limit *Error
}

// checkLimits stops building rules that already break a limit.
func (c *compiler) checkLimits(rules *[]branch) {
	if c.limit != nil {
		return
	}
	for _, b := range *rules {
		if topKeys(b) > MaxKeys {
			c.limit = errTooManyKeys
		}
	}
	if c.limit == nil && (len(*rules) > MaxCombinations || combinations(*rules) > MaxCombinations) {
		c.limit = errTooComplex
	}
	if c.limit != nil {
		*rules = nil
	}
}

// compileError unwinds a compilation; fallback is false for errors that
// are not parse errors (CIDR), after which SNS does not try again.
type compileError struct {
	e        *Error
	fallback bool
}

// compileRules compiles src, the compact policy.
func compileRules(src string, useOr bool) (rules []branch, c *compiler, err *compileError) {
	c = &compiler{lx: &lexer{s: src}, useOr: useOr}
	defer func() {
		if r := recover(); r != nil {
			ce, ok := r.(compileError)
			if !ok {
				panic(r)
			}
			rules, err = nil, &ce
		}
	}()
	if c.lx.next() != tObjStart {
		c.barf("Filter is not an object")
	}
	c.object(&rules, false)
	return rules, c, nil
}

// barf raises a parse error at the lexer's current location.
func (c *compiler) barf(msg string) {
	panic(compileError{e: &Error{Reason: reasonPrefix + msg, Location: sourceLocation(c.lx.s, c.lx.column())}, fallback: true})
}

func (c *compiler) object(rules *[]branch, inOr bool) {
	fields := false
	for {
		t := c.lx.next()
		if t == tObjEnd {
			break
		}
		if t != tField {
			c.barf("Filter is not an object") // unreachable on compact input
		}
		fields = true
		name := c.lx.name
		if c.useOr && name == "$or" {
			c.or(rules)
			continue
		}
		if inOr && reserved[name] {
			c.barf(name + " is Ruler reserved fieldName which cannot be used inside $or.")
		}
		switch c.lx.next() {
		case tObjStart:
			c.path = append(c.path, name)
			c.object(rules, inOr)
			c.path = c.path[:len(c.path)-1]
		case tArrStart:
			c.list(rules, name)
		default:
			c.barf(`"` + name + `" must be an object or an array`)
		}
	}
	if !fields {
		c.barf("Empty objects are not allowed")
	}
}

func (c *compiler) or(rules *[]branch) {
	current := copyRules(*rules)
	*rules = nil
	if c.lx.next() != tArrStart {
		c.barf("It must be an Array followed with $or.")
	}
	n := 0
	for {
		t := c.lx.next()
		if t == tArrEnd {
			break
		}
		n++
		if t != tObjStart {
			c.barf("Only JSON object is allowed in array of $or relationship.")
		}
		alt := copyRules(current)
		if len(alt) == 0 && c.limit == nil {
			alt = []branch{nil}
		}
		c.object(&alt, true)
		if c.limit == nil {
			*rules = append(*rules, alt...)
			c.checkLimits(rules)
		}
	}
	if n < 2 {
		c.barf("There must have at least 2 Objects in $or relationship.")
	}
}

func copyRules(rules []branch) []branch {
	out := make([]branch, len(rules))
	for i, b := range rules {
		out[i] = append(branch(nil), b...)
	}
	return out
}

// list reads a key's list of values.
func (c *compiler) list(rules *[]branch, name string) {
	l := leaf{name: name, top: name, depth: len(c.path) + 1}
	if len(c.path) > 0 {
		l.name = strings.Join(c.path, ".") + "." + name
		l.top = c.path[0]
	}
	for {
		t := c.lx.next()
		if t == tArrEnd {
			break
		}
		switch t {
		case tObjStart:
			l.pats = append(l.pats, c.matchExpression())
		case tString:
			s := c.lx.getText()
			if ip, ok := parseIP(s); ok {
				l.pats = append(l.pats, pattern{kind: pExactIP, s: s, ip: ip})
			} else {
				l.pats = append(l.pats, pattern{kind: pExact, s: s})
			}
		case tNumber:
			s := c.lx.getText()
			f, _ := strconv.ParseFloat(s, 64)
			l.pats = append(l.pats, pattern{kind: pNumber, s: s, f: f})
		case tTrue, tFalse, tNull:
			l.pats = append(l.pats, pattern{kind: pLiteral, s: c.lx.getText()})
		default:
			c.barf("Match value must be String, number, true, false, or null")
		}
		l.count++
	}
	if l.count == 0 {
		c.barf("Empty arrays are not allowed")
	}
	if l.depth > 1 {
		c.nested = true
	}
	if c.limit != nil {
		return
	}
	if len(*rules) == 0 {
		*rules = append(*rules, nil)
	}
	for i := range *rules {
		(*rules)[i].put(l)
	}
	c.checkLimits(rules)
}

// matchExpression reads {"operator": operand} (its "{" has been read).
func (c *compiler) matchExpression() pattern {
	if c.lx.next() != tField {
		c.barf("Match expression name not found")
	}
	switch op := c.lx.name; op {
	case "exactly", "prefix", "suffix", "equals-ignore-case":
		if c.lx.next() != tString {
			c.barf(op + " match pattern must be a string")
		}
		p := pattern{kind: pExact, s: c.lx.getText()}
		switch op {
		case "prefix":
			p.kind = pPrefix
		case "suffix":
			p.kind = pSuffix
		case "equals-ignore-case":
			p.kind = pEqualsIgnoreCase
		}
		c.endOfExpression("Only one key allowed in match expression")
		return p
	case "numeric":
		if c.lx.next() != tArrStart {
			c.barf("Value of numeric must be an array.")
		}
		p := c.numeric()
		c.endOfExpression("Too many elements in numeric expression")
		return p
	case "anything-but":
		return c.anythingBut()
	case "exists":
		p := pattern{kind: pExists}
		switch c.lx.next() {
		case tTrue:
			p.flags = 1
		case tFalse:
		default:
			c.barf("exists match pattern must be either true or false.")
		}
		c.endOfExpression("Only one key allowed in match expression")
		return p
	case "cidr":
		if c.lx.next() != tString {
			c.barf("prefix match pattern must be a string") // sic: AWS's message
		}
		lo, hi, msg := parseCIDR(c.lx.getText())
		if msg != "" {
			panic(compileError{e: &Error{Reason: reasonPrefix + msg}})
		}
		c.endOfExpression("Only one key allowed in match expression")
		return pattern{kind: pCIDR, ip: lo, hi: hi}
	default:
		c.barf("Unrecognized match type " + op)
	}
	return pattern{}
}

// endOfExpression requires the "}" that closes a match expression.
func (c *compiler) endOfExpression(msg string) {
	if c.lx.next() != tObjEnd {
		c.barf(msg)
	}
}

// anythingBut reads the operand of anything-but: a string, a number, a list
// of strings or of numbers, or {"prefix": s}. This is the version SNS runs:
// it knows no anything-but suffix.
func (c *compiler) anythingBut() pattern {
	t := c.lx.next()
	if t == tObjStart {
		if c.lx.next() != tField {
			c.barf("Anything-But expression name not found")
		}
		if op := c.lx.name; op != "prefix" {
			c.barf("Unsupported anything-but pattern: " + op)
		}
		if c.lx.next() != tString {
			c.barf("prefix match pattern must be a string")
		}
		s := c.lx.getText()
		if s == "" {
			c.barf("Null prefix not allowed")
		}
		c.endOfExpression("Only one key allowed in match expression")
		c.endOfExpression("Only one key allowed in match expression")
		return pattern{kind: pAnythingButPrefix, s: s}
	}
	var p pattern
	switch t {
	case tArrStart:
		var strs, nums bool
		for {
			t := c.lx.next()
			if t == tArrEnd {
				break
			}
			switch t {
			case tString:
				p.strs = append(p.strs, c.lx.getText())
				strs = true
			case tNumber:
				f, _ := strconv.ParseFloat(c.lx.getText(), 64)
				p.nums = append(p.nums, f)
				nums = true
			default:
				c.barf("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if strs == nums {
			c.barf("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
	case tString:
		p.strs = []string{c.lx.getText()}
	case tNumber:
		f, _ := strconv.ParseFloat(c.lx.getText(), 64)
		p.nums = []float64{f}
	default:
		c.barf("Value of anything-but must be an array or single string/number value.")
	}
	p.kind = pAnythingButStrings
	if p.nums != nil {
		p.kind = pAnythingButNumbers
	}
	c.endOfExpression("Too many elements in numeric expression")
	return p
}
