package snsfilter

import "strings"

// Policy is a compiled subscription filter policy. A nil *Policy, as Parse
// returns for an empty policy, matches every message.
type Policy struct {
	scope    Scope
	matchAll bool     // "{}"
	rules    []branch // one per "$or" branch
	paths    map[string]bool
}

// Parse validates a FilterPolicy attribute value and compiles it for the
// given scope.
//
// The empty string (or white space) means no policy: Parse returns a nil
// *Policy and no error. "{}" is a policy that matches every message.
//
// A policy SNS rejects is an *Error whose text is the reason AWS gives
// (starting "FilterPolicy: ", but for the nested-policy error of the
// MessageAttributes scope, which is "Filter policy scope MessageAttributes
// does not support nested filter policy"), followed by Jackson's location
// line where AWS adds one.
func Parse(policy string, scope Scope) (*Policy, error) {
	if strings.Trim(policy, " \t\r\n") == "" {
		return nil, nil
	}
	if len(policy) > MaxSize {
		return nil, errTooLarge
	}
	root, jerr := parseJSON(strings.ToValidUTF8(policy, "\uFFFD"))
	if jerr != nil {
		return nil, jerr
	}
	if root == nil {
		return nil, nil
	}
	if root.kind == '{' && len(root.keys) == 0 {
		return &Policy{scope: scope, matchAll: true}, nil
	}
	src := compact(root)
	rules, c, cerr := compileRules(src, true)
	if cerr != nil && cerr.fallback {
		rules, c, cerr = compileRules(src, false)
	}
	if cerr != nil {
		return nil, cerr.e
	}
	if scope == ScopeMessageAttributes && c.nested {
		return nil, errNested
	}
	if c.limit != nil {
		return nil, c.limit
	}
	if err := checkLimits(rules); err != nil {
		return nil, err
	}
	p := &Policy{scope: scope, rules: rules, paths: make(map[string]bool)}
	for _, b := range rules {
		for _, l := range b {
			p.paths[l.name] = true
			for i := 0; i < len(l.name); i++ {
				if l.name[i] == '.' {
					p.paths[l.name[:i]] = true
				}
			}
		}
	}
	return p, nil
}

// Scope returns the scope the policy was compiled for.
func (p *Policy) Scope() Scope {
	if p == nil {
		return ScopeMessageAttributes
	}
	return p.scope
}
