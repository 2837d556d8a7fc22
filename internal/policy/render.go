package policy

import (
	"bytes"
	"encoding/json"
)

// JSON renders the policy as a compact JSON document: Version, Id, Statement,
// and in each statement Sid, Effect, Principal, Action, Resource, Condition.
// Single values and lists keep the form they were written in, condition
// operators and keys keep their spelling and order, and account-id principals
// are rendered as root ARNs. The result parses back to an equivalent policy.
func (p *Policy) JSON() string {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(name string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(&b, name)
		b.WriteByte(':')
	}
	if p.version != "" {
		field("Version")
		writeString(&b, p.version)
	}
	if p.hasID {
		field("Id")
		writeString(&b, p.id)
	}
	field("Statement")
	if p.stmtList || len(p.statements) != 1 {
		b.WriteByte('[')
	}
	for i := range p.statements {
		if i > 0 {
			b.WriteByte(',')
		}
		p.statements[i].render(&b)
	}
	if p.stmtList || len(p.statements) != 1 {
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.String()
}

func (s *statement) render(b *bytes.Buffer) {
	b.WriteByte('{')
	if s.hasSid {
		writeString(b, "Sid")
		b.WriteByte(':')
		writeString(b, s.sid)
		b.WriteByte(',')
	}
	writeString(b, "Effect")
	b.WriteByte(':')
	if s.deny {
		writeString(b, "Deny")
	} else {
		writeString(b, "Allow")
	}
	b.WriteByte(',')
	writeString(b, map[bool]string{false: "Principal", true: "NotPrincipal"}[s.notPrincipal])
	b.WriteByte(':')
	if s.principal.star {
		writeString(b, "*")
	} else {
		b.WriteByte('{')
		for i, e := range s.principal.entries {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, e.typ)
			b.WriteByte(':')
			writeList(b, e.vals)
		}
		b.WriteByte('}')
	}
	b.WriteByte(',')
	writeString(b, map[bool]string{false: "Action", true: "NotAction"}[s.notAction])
	b.WriteByte(':')
	writeList(b, s.actions)
	if len(s.resources.vals) > 0 {
		b.WriteByte(',')
		writeString(b, map[bool]string{false: "Resource", true: "NotResource"}[s.notResource])
		b.WriteByte(':')
		writeList(b, s.resources)
	}
	if s.hasCondition {
		b.WriteByte(',')
		writeString(b, "Condition")
		b.WriteString(":{")
		// Group the (operator, key) pairs back under their operator, which
		// parseConditions produced contiguously.
		for i := 0; i < len(s.conditions); {
			if i > 0 {
				b.WriteByte(',')
			}
			op := s.conditions[i].op
			end := i + 1
			for end < len(s.conditions) && s.conditions[end].op == op {
				end++
			}
			writeString(b, op)
			b.WriteString(":{")
			for j := i; j < end; j++ {
				if j > i {
					b.WriteByte(',')
				}
				c := &s.conditions[j]
				writeString(b, c.keyRaw)
				b.WriteByte(':')
				if c.list {
					b.WriteByte('[')
				}
				for k, v := range c.values {
					if k > 0 {
						b.WriteByte(',')
					}
					if v.lit {
						b.WriteString(v.s)
					} else {
						writeString(b, v.s)
					}
				}
				if c.list {
					b.WriteByte(']')
				}
			}
			b.WriteByte('}')
			i = end
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

func writeList(b *bytes.Buffer, l strList) {
	if !l.list {
		writeString(b, l.vals[0])
		return
	}
	b.WriteByte('[')
	for i, v := range l.vals {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, v)
	}
	b.WriteByte(']')
}

// writeString writes s as a JSON string without HTML escaping.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode appends a newline
}
