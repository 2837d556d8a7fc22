package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// principalEntry is one typed list of a Principal object ("AWS": [...]).
type principalEntry struct {
	typ  string
	vals strList
}

// principal is a parsed Principal or NotPrincipal element.
type principal struct {
	star    bool // the bare string "*"
	entries []principalEntry

	// compiled
	anyone   bool     // "*" or AWS "*"
	accounts []string // account ids (from ids and root ARNs)
	arns     []string // other iam/sts ARNs
	roles    []string // "<partition>:<account>:<role name>" of role ARNs, for sessions
	services []string // normalised service principals
}

var principalTypes = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

func parsePrincipal(raw json.RawMessage) (*principal, error) {
	if jsonKind(raw) == '"' {
		s, err := jsonString(raw)
		if err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, fmt.Errorf(`must be "*" or an object such as {"AWS": ...}, not the string %q`, s)
		}
		return &principal{star: true, anyone: true}, nil
	}
	members, err := objectMembers(raw)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, fmt.Errorf("must name at least one principal")
	}
	p := &principal{}
	for _, m := range members {
		if !principalTypes[m.name] {
			return nil, fmt.Errorf("unknown principal type %q (want AWS, Service, Federated or CanonicalUser)", m.name)
		}
		vals, err := stringOrList(m.val)
		if err != nil {
			return nil, fmt.Errorf("%s %v", m.name, err)
		}
		for i, v := range vals.vals {
			nv, err := p.add(m.name, v)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", m.name, err)
			}
			vals.vals[i] = nv
		}
		p.entries = append(p.entries, principalEntry{typ: m.name, vals: vals})
	}
	return p, nil
}

// add validates and compiles one principal value, returning its stored form.
func (p *principal) add(typ, v string) (string, error) {
	switch typ {
	case "AWS":
		switch {
		case v == "*":
			p.anyone = true
			return v, nil
		case isAccountID(v):
			p.accounts = append(p.accounts, v)
			return rootARN(v), nil
		}
		if acct, ok := isRootARN(v); ok {
			p.accounts = append(p.accounts, acct)
			return v, nil
		}
		parts := strings.SplitN(v, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || (parts[2] != "iam" && parts[2] != "sts") ||
			!isAccountID(parts[4]) || parts[5] == "" {
			return "", fmt.Errorf("invalid principal %q: want \"*\", an account id or an IAM ARN", v)
		}
		if hasWildcard(v) {
			return "", fmt.Errorf("invalid principal %q: wildcards are only allowed as \"*\" alone", v)
		}
		p.arns = append(p.arns, v)
		if parts[2] == "iam" && strings.HasPrefix(parts[5], "role/") {
			name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
			p.roles = append(p.roles, parts[1]+":"+parts[4]+":"+name)
		}
		return v, nil
	case "Service":
		if v == "" || strings.ContainsAny(v, " \t\r\n*?") {
			return "", fmt.Errorf("invalid service principal %q", v)
		}
		p.services = append(p.services, serviceName(v))
		return v, nil
	default: // Federated, CanonicalUser: accepted, never matched
		if v == "" {
			return "", fmt.Errorf("empty principal")
		}
		return v, nil
	}
}

// count returns the number of principal values.
func (p *principal) count() int {
	if p.star {
		return 1
	}
	n := 0
	for _, e := range p.entries {
		n += len(e.vals.vals)
	}
	return n
}

// match reports whether the request's caller is one of the principals.
func (p *principal) match(r *evalCtx) bool {
	if p.anyone {
		return true
	}
	if r.service != "" {
		for _, s := range p.services {
			if s == r.service {
				return true
			}
		}
		return false
	}
	if r.PrincipalARN == "" && r.PrincipalAccount == "" {
		return false // anonymous
	}
	if r.account != "" {
		for _, a := range p.accounts {
			if a == r.account {
				return true
			}
		}
	}
	if r.PrincipalARN == "" {
		return false
	}
	for _, a := range p.arns {
		if a == r.PrincipalARN {
			return true
		}
	}
	if len(p.roles) > 0 {
		// arn:<partition>:sts::<account>:assumed-role/<name>/<session>
		parts := strings.SplitN(r.PrincipalARN, ":", 6)
		if len(parts) == 6 && parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/") {
			rest := strings.TrimPrefix(parts[5], "assumed-role/")
			if i := strings.IndexByte(rest, '/'); i > 0 {
				key := parts[1] + ":" + parts[4] + ":" + rest[:i]
				for _, k := range p.roles {
					if k == key {
						return true
					}
				}
			}
		}
	}
	return false
}

// requestAccount returns the caller's account: PrincipalAccount, or the
// account component of PrincipalARN.
func requestAccount(r *Request) string {
	if r.PrincipalAccount != "" {
		return r.PrincipalAccount
	}
	return arnAccount(r.PrincipalARN)
}
