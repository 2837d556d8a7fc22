package snsfilter

import (
	"math"
	"strconv"
	"strings"
)

// compact writes n back as Jackson's ObjectMapper would: no white space,
// integers as they were (-0 as 0), floating-point numbers as Java's
// Double.toString prints the double they parse to (Infinity as the string
// "Infinity"), strings escaped with \" \\ \b \t \n \f \r and \u00XX.
// The rule compiler reads this text, so its error columns count in it.
func compact(n *node) string {
	var b strings.Builder
	writeNode(&b, n)
	return b.String()
}

func writeNode(b *strings.Builder, n *node) {
	switch n.kind {
	case '{':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			writeNode(b, n.vals[i])
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, v := range n.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			writeNode(b, v)
		}
		b.WriteByte(']')
	case 's':
		writeString(b, n.text)
	case 'n':
		if n.isInt {
			if n.text == "-0" {
				b.WriteByte('0')
			} else {
				b.WriteString(n.text)
			}
			return
		}
		f, _ := strconv.ParseFloat(n.text, 64)
		if math.IsInf(f, 0) {
			writeString(b, javaDouble(f))
			return
		}
		b.WriteString(javaDouble(f))
	case 't':
		b.WriteString("true")
	case 'f':
		b.WriteString("false")
	default:
		b.WriteString("null")
	}
}

const upperHex = "0123456789ABCDEF"

func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(upperHex[r>>4])
				b.WriteByte(upperHex[r&0xf])
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// javaDouble formats f as Java's Double.toString (JDK 19 and later, which
// prints the shortest decimal that reads back as f).
func javaDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	e := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[e+1:])
	digits := strings.Replace(s[:e], ".", "", 1)
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		var ip, fp string
		switch {
		case exp < 0:
			ip, fp = "0", strings.Repeat("0", -exp-1)+digits
		case len(digits) <= exp+1:
			ip, fp = digits+strings.Repeat("0", exp+1-len(digits)), "0"
		default:
			ip, fp = digits[:exp+1], digits[exp+1:]
		}
		return sign + ip + "." + fp
	}
	fp := digits[1:]
	if fp == "" {
		fp = "0"
	}
	return sign + digits[:1] + "." + fp + "E" + strconv.Itoa(exp)
}
