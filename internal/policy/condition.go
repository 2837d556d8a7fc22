package policy

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is the base comparison of a condition operator.
type opKind uint8

const (
	opString opKind = iota
	opStringIgnoreCase
	opStringLike
	opNumericEq
	opNumericLt
	opNumericLe
	opNumericGt
	opNumericGe
	opDateEq
	opDateLt
	opDateLe
	opDateGt
	opDateGe
	opBool
	opBinary
	opIP
	opARN
	opNull
)

type opInfo struct {
	kind    opKind
	negated bool
}

// operators maps lower-cased base operator names (without IfExists and set
// prefixes) to their meaning.
var operators = map[string]opInfo{
	"stringequals":              {opString, false},
	"stringnotequals":           {opString, true},
	"stringequalsignorecase":    {opStringIgnoreCase, false},
	"stringnotequalsignorecase": {opStringIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEq, false},
	"numericnotequals":          {opNumericEq, true},
	"numericlessthan":           {opNumericLt, false},
	"numericlessthanequals":     {opNumericLe, false},
	"numericgreaterthan":        {opNumericGt, false},
	"numericgreaterthanequals":  {opNumericGe, false},
	"dateequals":                {opDateEq, false},
	"datenotequals":             {opDateEq, true},
	"datelessthan":              {opDateLt, false},
	"datelessthanequals":        {opDateLe, false},
	"dategreaterthan":           {opDateGt, false},
	"dategreaterthanequals":     {opDateGe, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinary, false},
	"ipaddress":                 {opIP, false},
	"notipaddress":              {opIP, true},
	"arnequals":                 {opARN, false},
	"arnlike":                   {opARN, false},
	"arnnotequals":              {opARN, true},
	"arnnotlike":                {opARN, true},
	"null":                      {opNull, false},
}

type setKind uint8

const (
	setNone setKind = iota
	setForAll
	setForAny
)

// condition is one (operator, key) pair of a Condition element.
type condition struct {
	op       string // operator as written
	keyRaw   string // key as written
	key      string // lower-cased key
	values   []condValue
	list     bool
	kind     opKind
	negated  bool
	ifExists bool
	set      setKind

	// compiled policy values, by kind
	strs  []string // strings (lower-cased for IgnoreCase)
	nums  []float64
	times []time.Time
	ips   []netip.Prefix
	arns  []arnPattern
	bools []bool
}

// parseOperator splits an operator name into its parts.
func parseOperator(name string) (opInfo, setKind, bool, error) {
	set := setNone
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "forallvalues:"):
		set, lower = setForAll, lower[len("forallvalues:"):]
	case strings.HasPrefix(lower, "foranyvalue:"):
		set, lower = setForAny, lower[len("foranyvalue:"):]
	}
	ifExists := false
	if strings.HasSuffix(lower, "ifexists") {
		ifExists = true
		lower = strings.TrimSuffix(lower, "ifexists")
	}
	info, ok := operators[lower]
	if !ok {
		return opInfo{}, 0, false, fmt.Errorf("unknown condition operator %q", name)
	}
	if info.kind == opNull && (ifExists || set != setNone) {
		return opInfo{}, 0, false, fmt.Errorf("condition operator %q: Null takes neither IfExists nor a set prefix", name)
	}
	return info, set, ifExists, nil
}

// compile validates the policy values for the operator.
func (c *condition) compile() error {
	for _, v := range c.values {
		s := v.s
		switch c.kind {
		case opString, opStringLike:
			c.strs = append(c.strs, s)
		case opStringIgnoreCase:
			c.strs = append(c.strs, strings.ToLower(s))
		case opNumericEq, opNumericLt, opNumericLe, opNumericGt, opNumericGe:
			f, ok := parseNumber(s)
			if !ok {
				return fmt.Errorf("value %q is not a number", s)
			}
			c.nums = append(c.nums, f)
		case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
			t, ok := parseDate(s)
			if !ok {
				return fmt.Errorf("value %q is not an ISO 8601 date or epoch time", s)
			}
			c.times = append(c.times, t)
		case opBool, opNull:
			b, ok := parseBool(s)
			if !ok {
				return fmt.Errorf("value %q is not true or false", s)
			}
			c.bools = append(c.bools, b)
		case opBinary:
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return fmt.Errorf("value %q is not base64", s)
			}
			c.strs = append(c.strs, s)
		case opIP:
			p, ok := parseIPValue(s)
			if !ok {
				return fmt.Errorf("value %q is not an IP address or CIDR block", s)
			}
			c.ips = append(c.ips, p)
		case opARN:
			c.arns = append(c.arns, compileARN(s))
		}
	}
	return nil
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDate reads an ISO 8601 date/time or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		if len(s) > 12 { // beyond year 33658 in seconds; refuse
			return time.Time{}, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseIPValue reads a policy IP value: a CIDR block or a single address.
func parseIPValue(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// positive reports whether one request value matches any policy value under
// the operator's positive form.
func (c *condition) positive(v string) bool {
	switch c.kind {
	case opString, opBinary:
		for _, p := range c.strs {
			if p == v {
				return true
			}
		}
	case opStringIgnoreCase:
		lv := strings.ToLower(v)
		for _, p := range c.strs {
			if p == lv {
				return true
			}
		}
	case opStringLike:
		for _, p := range c.strs {
			if glob(p, v) {
				return true
			}
		}
	case opNumericEq, opNumericLt, opNumericLe, opNumericGt, opNumericGe:
		f, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, p := range c.nums {
			if cmpOK(c.kind-opNumericEq, compareFloat(f, p)) {
				return true
			}
		}
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, p := range c.times {
			if cmpOK(c.kind-opDateEq, t.Compare(p)) {
				return true
			}
		}
	case opBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for _, p := range c.bools {
			if p == b {
				return true
			}
		}
	case opIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap().WithZone("")
		for _, p := range c.ips {
			if p.Contains(a) {
				return true
			}
		}
	case opARN:
		for i := range c.arns {
			if c.arns[i].match(v) {
				return true
			}
		}
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpOK applies a relative comparison (0 eq, 1 lt, 2 le, 3 gt, 4 ge) to the
// result of a three-way compare.
func cmpOK(rel opKind, c int) bool {
	switch rel {
	case 0:
		return c == 0
	case 1:
		return c < 0
	case 2:
		return c <= 0
	case 3:
		return c > 0
	default:
		return c >= 0
	}
}

// satisfied reports whether one request value satisfies the operator,
// negation included.
func (c *condition) satisfied(v string) bool { return c.positive(v) != c.negated }

// eval evaluates the condition against the request's values for its key.
func (c *condition) eval(vals []string) bool {
	present := len(vals) > 0
	if c.kind == opNull {
		for _, want := range c.bools {
			if want != present { // "true" means absent
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAll:
			return true
		case c.set == setForAny:
			return false
		}
		return c.negated
	}
	switch c.set {
	case setForAll:
		for _, v := range vals {
			if !c.satisfied(v) {
				return false
			}
		}
		return true
	case setForAny:
		for _, v := range vals {
			if c.satisfied(v) {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if c.positive(v) {
			return !c.negated
		}
	}
	return c.negated
}

// parseConditions parses a Condition element into its (operator, key) pairs,
// in document order.
func parseConditions(raw []member) ([]condition, error) {
	var out []condition
	for _, opm := range raw {
		info, set, ifExists, err := parseOperator(opm.name)
		if err != nil {
			return nil, err
		}
		keys, err := objectMembers(opm.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", opm.name, err)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s: must name at least one condition key", opm.name)
		}
		lowerSeen := map[string]bool{}
		for _, km := range keys {
			if km.name == "" {
				return nil, fmt.Errorf("%s: empty condition key", opm.name)
			}
			lk := strings.ToLower(km.name)
			if lowerSeen[lk] {
				return nil, fmt.Errorf("%s: duplicate condition key %q", opm.name, km.name)
			}
			lowerSeen[lk] = true
			vals, list, err := condValues(km.val)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", opm.name, km.name, err)
			}
			c := condition{op: opm.name, keyRaw: km.name, key: lk, values: vals, list: list,
				kind: info.kind, negated: info.negated, ifExists: ifExists, set: set}
			if err := c.compile(); err != nil {
				return nil, fmt.Errorf("%s: %s: %v", opm.name, km.name, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

var errNoStatement = errors.New("must contain at least one statement")
