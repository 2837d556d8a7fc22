package snsfilter

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Error is a filter policy (or scope) that SNS rejects. Its text is the
// reason AWS gives; the caller adds the parameter prefix ("Invalid
// parameter: Attributes Reason: " from Subscribe, "Invalid parameter: "
// from SetSubscriptionAttributes).
type Error struct {
	// Reason is the first line, e.g. "FilterPolicy: Empty arrays are not
	// allowed" or "Filter policy scope MessageAttributes does not support
	// nested filter policy".
	Reason string
	// Location is Jackson's location suffix when AWS adds one, e.g.
	// "\n at [Source: (String)\"{\"key\":[]}\"; line: 1, column: 10]", or "".
	Location string
}

// Error returns Reason followed by Location.
func (e *Error) Error() string { return e.Reason + e.Location }

const (
	reasonPrefix = "FilterPolicy: "
	jsonPrefix   = reasonPrefix + "failed to parse JSON. "
	redacted     = "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)"

	// maxSnippet is how much of the source Jackson quotes in a location.
	maxSnippet = 500
)

// redactedLocation is the location line of SNS's own JSON parser, which
// does not quote the source.
func redactedLocation(line, col int) string {
	return "\n at [Source: " + redacted + "; line: " + strconv.Itoa(line) +
		", column: " + strconv.Itoa(col) + "]"
}

// sourceLocation is the location line of the rule compiler, which quotes
// its source (the compact policy) up to 500 UTF-16 units.
func sourceLocation(src string, col int) string {
	var b strings.Builder
	b.WriteString("\n at [Source: (String)\"")
	units := utf16Len(src)
	if units <= maxSnippet {
		appendSnippet(&b, src)
	} else {
		u := utf16.Encode([]rune(src))[:maxSnippet]
		appendSnippet(&b, string(utf16.Decode(u)))
	}
	b.WriteByte('"')
	if units > maxSnippet {
		b.WriteString("[truncated " + strconv.Itoa(units-maxSnippet) + " chars]")
	}
	b.WriteString("; line: 1, column: " + strconv.Itoa(col) + "]")
	return b.String()
}

// appendSnippet writes s the way Jackson quotes a source: ISO control
// characters other than CR and LF as \uXXXX.
func appendSnippet(b *strings.Builder, s string) {
	for _, r := range s {
		if (r < 0x20 || (r >= 0x7f && r <= 0x9f)) && r != '\r' && r != '\n' {
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)) + strings.ToUpper(h))
			continue
		}
		b.WriteRune(r)
	}
}

// utf16Len is the length of s in UTF-16 code units, Java's String.length.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// charDesc describes a character as Jackson does in its messages.
func charDesc(r rune) string {
	if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
		return "(CTRL-CHAR, code " + strconv.Itoa(int(r)) + ")"
	}
	if r >= 0x10000 { // Jackson sees the high surrogate alone
		hi, _ := utf16.EncodeRune(r)
		return "'\uFFFD' (code " + strconv.Itoa(int(hi)) + " / 0x" + strconv.FormatInt(int64(hi), 16) + ")"
	}
	if r > 255 {
		return "'" + string(r) + "' (code " + strconv.Itoa(int(r)) + " / 0x" + strconv.FormatInt(int64(r), 16) + ")"
	}
	return "'" + string(r) + "' (code " + strconv.Itoa(int(r)) + ")"
}
