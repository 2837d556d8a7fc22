package snsfilter

import "strconv"

// numeric reads the list of a numeric match expression (its "[" has been
// read): ["=", n], ["<" | "<=", n], [">" | ">=", n], or [">" | ">=", n,
// "<" | "<=", m] with n < m. Numbers compare as doubles, so 100, 1e2 and
// 100.0 are equal.
func (c *compiler) numeric() pattern {
	if c.lx.next() != tString {
		c.barf("Invalid member in numeric match: " + c.lx.getText())
	}
	op := c.lx.getText()
	t := c.lx.next()
	name := op
	if op == "=" {
		name = "equals"
	}
	switch op {
	case "=", ">=", ">", "<=", "<":
	default:
		c.barf("Unrecognized numeric range operator: " + op)
	}
	if t != tNumber {
		c.barf("Value of " + name + " must be numeric")
	}
	v := c.number()
	switch op {
	case "=":
		if c.lx.next() != tArrEnd {
			c.barf("Too many elements in numeric expression")
		}
		return pattern{kind: pRange, f: v, top: v, flags: hasBottom | hasTop}
	case "<=", "<":
		if c.lx.next() != tArrEnd {
			c.barf("Too many elements in numeric expression")
		}
		p := pattern{kind: pRange, top: v, flags: hasTop}
		if op == "<" {
			p.flags |= openTop
		}
		return p
	}
	p := pattern{kind: pRange, f: v, flags: hasBottom}
	if op == ">" {
		p.flags |= openBottom
	}
	if t = c.lx.next(); t == tArrEnd {
		return p
	}
	// the top of a range
	if t != tString {
		c.barf("Bad value in numeric range: " + c.lx.getText())
	}
	op = c.lx.getText()
	switch op {
	case "<":
		p.flags |= openTop
	case "<=":
	default:
		c.barf("Bad numeric range operator: " + op)
	}
	if c.lx.next() != tNumber {
		c.barf("Value of " + op + " must be numeric")
	}
	p.top = c.number()
	p.flags |= hasTop
	if c.lx.next() != tArrEnd {
		c.barf("Too many terms in numeric range expression")
	}
	if p.f >= p.top {
		c.barf("Bottom must be less than top")
	}
	return p
}

func (c *compiler) number() float64 {
	f, _ := strconv.ParseFloat(c.lx.getText(), 64)
	return f
}
