package policy

import (
	"strings"
	"unicode/utf8"
)

// glob reports whether s matches pattern, where * matches any run of
// characters (including none) and ? exactly one character. Matching is
// byte-exact apart from the wildcards; the caller folds case if it must.
func glob(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starI = p, i
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				p++
				i += n
				continue
			default:
				if c == s[i] {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Backtrack: let the last * swallow one more character.
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// hasWildcard reports whether s contains * or ?.
func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// arnPattern is a compiled ARN pattern: either the six components of a full
// ARN, or (whole set) a pattern matched against the whole value.
type arnPattern struct {
	parts [6]string
	whole string
	full  bool
}

func compileARN(pattern string) arnPattern {
	parts := strings.SplitN(pattern, ":", 6)
	if len(parts) < 6 {
		return arnPattern{whole: pattern}
	}
	var a arnPattern
	a.full = true
	copy(a.parts[:], parts)
	return a
}

// match reports whether the ARN value matches the pattern, component by
// component.
func (a *arnPattern) match(value string) bool {
	if !a.full {
		return glob(a.whole, value)
	}
	rest := value
	for i := range 5 {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		if !glob(a.parts[i], rest[:j]) {
			return false
		}
		rest = rest[j+1:]
	}
	return glob(a.parts[5], rest)
}

// validARN reports whether s has the shape arn:partition:service:region:
// account:resource with non-empty partition, service and resource parts.
func validARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != ""
}

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// arnAccount returns the account component of an ARN, or "".
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// rootARN returns the root-user ARN of an account.
func rootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// isRootARN reports whether s is arn:<partition>:iam::<12 digits>:root and
// returns the account.
func isRootARN(s string) (string, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || parts[5] != "root" || !isAccountID(parts[4]) {
		return "", false
	}
	return parts[4], true
}

// serviceName normalises a service principal: "sns" → "sns.amazonaws.com",
// lower-cased.
func serviceName(s string) string {
	s = strings.ToLower(s)
	if s != "" && !strings.Contains(s, ".") {
		s += ".amazonaws.com"
	}
	return s
}
