package snsfilter

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// IP addresses are handled as the rule engine handles them, in Java:
//   - a string is an IP address only if it looks like one (four dot-separated
//     decimal groups, or hex digits and colons with at least one colon) and
//     parses as one; anything else is "Nonstandard IP address: x", and a
//     string that looks like one but does not parse is "Invalid IP address: x";
//   - an IPv4-mapped IPv6 address is its IPv4 address;
//   - a CIDR block runs from the address as written (host bits are not
//     cleared) to the address with all host bits set; IPv4 masks must be
//     below 32 and IPv6 masks below 128.

// ipBytes parses s into 4 or 16 bytes; msg is the rule engine's complaint.
func ipBytes(s string) (ip []byte, msg string) {
	switch {
	case looksIPv4(s):
		parts := strings.Split(s, ".")
		out := make([]byte, 4)
		for i, p := range parts {
			if len(p) > 1 && p[0] == '0' || len(p) > 3 {
				return nil, "Invalid IP address: " + s
			}
			v, err := strconv.Atoi(p)
			if err != nil || v > 255 {
				return nil, "Invalid IP address: " + s
			}
			out[i] = byte(v)
		}
		return out, ""
	case looksIPv6(s):
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() {
			return nil, "Invalid IP address: " + s
		}
		if a.Is4In6() {
			b := a.Unmap().As4()
			return b[:], ""
		}
		b := a.As16()
		return b[:], ""
	}
	return nil, "Nonstandard IP address: " + s
}

// looksIPv4 is [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+, matched whole.
func looksIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

// looksIPv6 is [0-9a-fA-F:]*:[0-9a-fA-F:]*, matched whole.
func looksIPv6(s string) bool {
	colon := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			colon = true
		case hexVal(rune(c)) >= 0:
		default:
			return false
		}
	}
	return colon
}

// parseIP returns the address of s if it is an IP address literal.
func parseIP(s string) ([]byte, bool) {
	if !looksIPv4(s) && !looksIPv6(s) {
		return nil, false
	}
	ip, msg := ipBytes(s)
	return ip, msg == ""
}

// parseCIDR parses a cidr match pattern. Its errors carry no location:
// AWS reports them without one.
func parseCIDR(s string) (lo, hi []byte, msg string) {
	parts := javaSplitSlash(s)
	if len(parts) != 2 {
		return nil, nil, "Malformed CIDR, one '/' required"
	}
	bits, ok := javaParseInt(parts[1])
	if !ok {
		return nil, nil, "Malformed CIDR, mask bits must be an integer"
	}
	if bits < 0 {
		return nil, nil, "Malformed CIDR, mask bits must not be negative"
	}
	ip, msg := ipBytes(parts[0])
	if msg != "" {
		return nil, nil, msg
	}
	if len(ip) == 4 && bits > 31 {
		return nil, nil, "IPv4 mask bits must be < 32"
	}
	if len(ip) == 16 && bits > 127 {
		return nil, nil, "IPv6 mask bits must be < 128"
	}
	hi = make([]byte, len(ip))
	host := len(ip)*8 - bits
	for i := len(ip) - 1; i >= 0; i-- {
		switch {
		case host >= 8:
			hi[i] = 0xff
		case host <= 0:
			hi[i] = ip[i]
		default:
			hi[i] = ip[i] | byte(1<<host-1)
		}
		host -= 8
	}
	return ip, hi, ""
}

// javaSplitSlash is Java's s.split("/"): trailing empty strings are dropped.
func javaSplitSlash(s string) []string {
	if s == "" {
		return []string{""}
	}
	parts := strings.Split(s, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaParseInt is Integer.parseInt for ASCII digits with an optional sign.
func javaParseInt(s string) (int, bool) {
	d := s
	if d != "" && (d[0] == '+' || d[0] == '-') {
		d = d[1:]
	}
	if d == "" {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 32)
	return int(v), err == nil
}

func inCIDR(ip, lo, hi []byte) bool {
	return len(ip) == len(lo) && bytes.Compare(ip, lo) >= 0 && bytes.Compare(ip, hi) <= 0
}
