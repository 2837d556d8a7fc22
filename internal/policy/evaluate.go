package policy

import "strings"

// Request describes one call to be authorised against a resource policy.
type Request struct {
	// PrincipalARN is the caller, e.g. "arn:aws:iam::123456789012:user/alice"
	// or "arn:aws:iam::123456789012:root"; "" for an anonymous caller.
	PrincipalARN string
	// PrincipalAccount is the caller's account id; if "", the account field
	// of PrincipalARN is used.
	PrincipalAccount string
	// Service is set when an AWS service is the caller, e.g. "sns" (or
	// "sns.amazonaws.com") when SNS delivers to a queue.
	Service string
	// Action is "<service>:<Action>", e.g. "sqs:SendMessage"; case-insensitive.
	Action string
	// Resource is the ARN of the queue or topic.
	Resource string
	// Context holds the condition keys, with lower-case names, e.g.
	// "aws:securetransport" → ["true"], "aws:sourcearn" → [topic ARN].
	Context map[string][]string
}

// Decision is the outcome of evaluating a policy.
type Decision int

const (
	// NotApplicable: no statement applies to the request.
	NotApplicable Decision = iota
	// Allow: an Allow statement applies and no Deny statement does.
	Allow
	// Deny: a Deny statement applies (explicit deny).
	Deny
)

func (d Decision) String() string {
	switch d {
	case NotApplicable:
		return "NotApplicable"
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Decision(?)"
}

// Evaluate decides the request: Deny if any applying statement denies,
// otherwise Allow if any applying statement allows, otherwise NotApplicable.
func (p *Policy) Evaluate(r Request) Decision {
	if p == nil {
		return NotApplicable
	}
	c := evalCtx{Request: &r, action: strings.ToLower(r.Action), service: serviceName(r.Service), account: requestAccount(&r)}
	d := NotApplicable
	for i := range p.statements {
		s := &p.statements[i]
		if d == Allow && !s.deny {
			continue // cannot change the outcome
		}
		if s.applies(&c) {
			if s.deny {
				return Deny
			}
			d = Allow
		}
	}
	return d
}

// evalCtx is a request with its normalised parts computed once.
type evalCtx struct {
	*Request
	action  string // lower-cased
	service string // normalised service principal, or ""
	account string // the caller's account, or ""
}

func (s *statement) applies(r *evalCtx) bool {
	if s.principal.match(r) == s.notPrincipal {
		return false
	}
	matched := false
	for _, a := range s.actionPats {
		if glob(a, r.action) {
			matched = true
			break
		}
	}
	if matched == s.notAction {
		return false
	}
	if len(s.resources.vals) > 0 {
		matched = s.anyResource
		for i := 0; !matched && i < len(s.resourcePats); i++ {
			matched = s.resourcePats[i].match(r.Resource)
		}
		if matched == s.notResource {
			return false
		}
	}
	for i := range s.conditions {
		c := &s.conditions[i]
		if !c.eval(lookup(r.Request, c.key)) {
			return false
		}
	}
	return true
}

// lookup returns the request's values for a lower-cased condition key.
func lookup(r *Request, key string) []string {
	if v, ok := r.Context[key]; ok {
		return v
	}
	for k, v := range r.Context {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	switch key {
	case "aws:principalarn":
		if r.PrincipalARN != "" && r.Service == "" {
			return []string{r.PrincipalARN}
		}
	case "aws:principalaccount":
		if a := requestAccount(r); a != "" && r.Service == "" {
			return []string{a}
		}
	case "aws:principalservicename":
		if r.Service != "" {
			return []string{serviceName(r.Service)}
		}
	}
	return nil
}
