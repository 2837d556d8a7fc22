package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Policy versions accepted in the Version element.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17" // what SQS and SNS write themselves
)

// Policy is a parsed, validated resource policy, ready to evaluate. Evaluate
// and the read-only methods are safe for concurrent use; AddPermission and
// RemovePermission modify the policy and need exclusive access (or a Clone).
type Policy struct {
	version    string // "" when the document had no Version
	id         string
	hasID      bool
	stmtList   bool // Statement was written as an array
	statements []statement
}

// statement is one compiled statement.
type statement struct {
	sid          string
	hasSid       bool
	deny         bool
	principal    *principal
	notPrincipal bool
	actions      strList
	actionPats   []string // lower-cased
	notAction    bool
	resources    strList
	resourcePats []arnPattern
	anyResource  bool // "*" among resources
	notResource  bool
	conditions   []condition
	hasCondition bool
}

// Error is a validation error: Statement is the zero-based index of the
// statement at fault, or -1 for the document itself; Field names the element.
type Error struct {
	Statement int
	Sid       string
	Field     string
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Statement >= 0 {
		fmt.Fprintf(&b, "Statement[%d]", e.Statement)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
		if e.Field != "" {
			b.WriteString(".")
		}
	}
	if e.Field != "" {
		b.WriteString(e.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func docErr(field, format string, args ...any) error {
	return &Error{Statement: -1, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// New returns an empty policy with Version 2008-10-17 (the version SQS and SNS
// write) and the given Id ("" for none). It has no statements until
// AddPermission adds one.
func New(id string) *Policy {
	return &Policy{version: Version2008, id: id, hasID: id != "", stmtList: true}
}

// Parse parses and validates a policy document.
func Parse(doc string) (*Policy, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, docErr("", "policy document is empty")
	}
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, docErr("", "policy document is not valid JSON: %v", err)
	}
	members, err := objectMembers(raw)
	if err != nil {
		return nil, docErr("", "policy document %v", err)
	}
	p := &Policy{}
	var stmtRaw json.RawMessage
	for _, m := range members {
		switch m.name {
		case "Version":
			v, err := jsonString(m.val)
			if err != nil {
				return nil, docErr("Version", "%v", err)
			}
			if v != Version2012 && v != Version2008 {
				return nil, docErr("Version", "unsupported version %q (want %q or %q)", v, Version2012, Version2008)
			}
			p.version = v
		case "Id":
			v, err := jsonString(m.val)
			if err != nil {
				return nil, docErr("Id", "%v", err)
			}
			p.id, p.hasID = v, true
		case "Statement":
			stmtRaw = m.val
		default:
			return nil, docErr("", "unknown element %q (want Version, Id or Statement)", m.name)
		}
	}
	if stmtRaw == nil {
		return nil, docErr("Statement", "is required")
	}
	var elems []json.RawMessage
	switch jsonKind(stmtRaw) {
	case '{':
		elems = []json.RawMessage{stmtRaw}
	case '[':
		p.stmtList = true
		if elems, err = arrayElems(stmtRaw); err != nil {
			return nil, docErr("Statement", "%v", err)
		}
		if len(elems) == 0 {
			return nil, docErr("Statement", "%v", errNoStatement)
		}
	default:
		return nil, docErr("Statement", "must be an object or a list of objects, not %s", kindName(jsonKind(stmtRaw)))
	}
	sids := map[string]int{}
	for i, e := range elems {
		s, err := parseStatement(i, e)
		if err != nil {
			return nil, err
		}
		if s.sid != "" {
			if j, dup := sids[s.sid]; dup {
				return nil, &Error{Statement: i, Sid: s.sid, Field: "Sid", Msg: fmt.Sprintf("duplicate Sid, also used by Statement[%d]", j)}
			}
			sids[s.sid] = i
		}
		p.statements = append(p.statements, s)
	}
	return p, nil
}

func parseStatement(idx int, raw json.RawMessage) (statement, error) {
	var s statement
	fail := func(field, format string, args ...any) error {
		return &Error{Statement: idx, Sid: s.sid, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	members, err := objectMembers(raw)
	if err != nil {
		return s, fail("", "%v", err)
	}
	// Read the Sid first so that every later error can name it.
	for _, m := range members {
		if m.name == "Sid" {
			if s.sid, err = jsonString(m.val); err != nil {
				return s, fail("Sid", "%v", err)
			}
			s.hasSid = true
		}
	}
	var effect, prin, notPrin, act, notAct, res, notRes, cond json.RawMessage
	for _, m := range members {
		switch m.name {
		case "Sid":
		case "Effect":
			effect = m.val
		case "Principal":
			prin = m.val
		case "NotPrincipal":
			notPrin = m.val
		case "Action":
			act = m.val
		case "NotAction":
			notAct = m.val
		case "Resource":
			res = m.val
		case "NotResource":
			notRes = m.val
		case "Condition":
			cond = m.val
		default:
			return s, fail("", "unknown element %q", m.name)
		}
	}

	if effect == nil {
		return s, fail("Effect", "is required")
	}
	e, err := jsonString(effect)
	if err != nil {
		return s, fail("Effect", "%v", err)
	}
	switch e {
	case "Allow":
	case "Deny":
		s.deny = true
	default:
		return s, fail("Effect", "invalid value %q (want Allow or Deny)", e)
	}

	switch {
	case prin != nil && notPrin != nil:
		return s, fail("Principal", "Principal and NotPrincipal are mutually exclusive")
	case prin == nil && notPrin == nil:
		return s, fail("Principal", "a resource policy statement requires Principal or NotPrincipal")
	case notPrin != nil:
		s.notPrincipal, prin = true, notPrin
	}
	field := map[bool]string{false: "Principal", true: "NotPrincipal"}[s.notPrincipal]
	if s.principal, err = parsePrincipal(prin); err != nil {
		return s, fail(field, "%v", err)
	}

	switch {
	case act != nil && notAct != nil:
		return s, fail("Action", "Action and NotAction are mutually exclusive")
	case act == nil && notAct == nil:
		return s, fail("Action", "Action or NotAction is required")
	case notAct != nil:
		s.notAction, act = true, notAct
	}
	field = map[bool]string{false: "Action", true: "NotAction"}[s.notAction]
	if s.actions, err = stringOrList(act); err != nil {
		return s, fail(field, "%v", err)
	}
	for _, a := range s.actions.vals {
		if !validAction(a) {
			return s, fail(field, "invalid action %q (want \"*\" or \"service:Action\")", a)
		}
		s.actionPats = append(s.actionPats, strings.ToLower(a))
	}

	if res != nil && notRes != nil {
		return s, fail("Resource", "Resource and NotResource are mutually exclusive")
	}
	if notRes != nil {
		s.notResource, res = true, notRes
	}
	if res != nil {
		field = map[bool]string{false: "Resource", true: "NotResource"}[s.notResource]
		if s.resources, err = stringOrList(res); err != nil {
			return s, fail(field, "%v", err)
		}
		for _, r := range s.resources.vals {
			if r == "*" {
				s.anyResource = true
				continue
			}
			if !validARN(r) {
				return s, fail(field, "invalid resource %q: want \"*\" or an ARN arn:partition:service:region:account:resource", r)
			}
			s.resourcePats = append(s.resourcePats, compileARN(r))
		}
	}

	if cond != nil {
		s.hasCondition = true
		ops, err := objectMembers(cond)
		if err != nil {
			return s, fail("Condition", "%v", err)
		}
		if s.conditions, err = parseConditions(ops); err != nil {
			return s, fail("Condition", "%v", err)
		}
	}
	return s, nil
}

// validAction reports whether a is "*" or service:name with a plain service
// prefix and a non-empty name without spaces or colons.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(name, ": \t\r\n") {
		return false
	}
	for i := range len(svc) {
		c := svc[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Clone returns a deep enough copy for AddPermission / RemovePermission to
// modify without affecting p.
func (p *Policy) Clone() *Policy {
	q := *p
	q.statements = append([]statement(nil), p.statements...)
	return &q
}

// Version returns the Version element ("" if the document had none).
func (p *Policy) Version() string { return p.version }

// ID returns the Id element.
func (p *Policy) ID() string { return p.id }

// Len returns the number of statements. RemovePermission can leave a policy
// empty; SQS then deletes the Policy attribute.
func (p *Policy) Len() int { return len(p.statements) }

// Sids returns the statements' Sids in order ("" for a statement without one).
func (p *Policy) Sids() []string {
	out := make([]string, len(p.statements))
	for i, s := range p.statements {
		out[i] = s.sid
	}
	return out
}

// Actions returns every value of every Action and NotAction element, in
// order, as written (SNS checks that each is within its own service scope).
func (p *Policy) Actions() []string {
	var out []string
	for _, s := range p.statements {
		out = append(out, s.actions.vals...)
	}
	return out
}

// Resources returns every value of every Resource and NotResource element,
// as written (SNS requires them to name the topic).
func (p *Policy) Resources() []string {
	var out []string
	for _, s := range p.statements {
		out = append(out, s.resources.vals...)
	}
	return out
}
