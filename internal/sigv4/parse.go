package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRequest extracts the signature parameters from the Authorization
// header or, failing that, from a presigned query string, into *in.
func parseRequest(r *http.Request, in *request) *Error {
	params := parseQuery(r.URL.RawQuery)
	hasAlgorithm, presigned := false, false
	for _, p := range params {
		switch p.key {
		case "X-Amz-Algorithm":
			hasAlgorithm, presigned = true, true
		case "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders":
			presigned = true
		}
	}
	if auth := strings.TrimSpace(r.Header.Get("Authorization")); auth != "" {
		if hasAlgorithm {
			return errMismatch(msgBothAuth)
		}
		return parseHeaderAuth(r, auth, params, in)
	}
	if presigned {
		return parsePresigned(r, params, in)
	}
	return errMissingToken()
}

func isAuthSep(c rune) bool { return c == ',' || c == ' ' || c == '\t' }

// nextField returns the first field of s separated by isAuthSep runs and
// the rest after it, as strings.FieldsFunc(s, isAuthSep) would split it;
// ok is false when s holds no more fields.
func nextField(s string) (field, rest string, ok bool) {
	i := 0
	for i < len(s) && isAuthSep(rune(s[i])) {
		i++
	}
	if i == len(s) {
		return "", "", false
	}
	j := i
	for j < len(s) && !isAuthSep(rune(s[j])) {
		j++
	}
	return s[i:j], s[j:], true
}

func parseHeaderAuth(r *http.Request, auth string, params []queryParam, in *request) *Error {
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != algorithm {
		return errIncomplete("Unsupported AWS 'algorithm': '" + alg + "'")
	}
	var credential, signedHeaders, signature string
	for {
		part, more, ok := nextField(rest)
		if !ok {
			break
		}
		rest = more
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return errIncomplete("'" + part + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + auth + "'.")
		}
		switch k {
		case "Credential":
			credential = val
		case "SignedHeaders":
			signedHeaders = val
		case "Signature":
			signature = val
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	date := r.Header.Get("Date")

	var msg strings.Builder
	if credential == "" {
		msg.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if signature == "" {
		msg.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if signedHeaders == "" {
		msg.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if amzDate == "" && date == "" {
		msg.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if msg.Len() > 0 {
		msg.WriteString("Authorization=" + auth)
		return errIncomplete(msg.String())
	}

	*in = request{signature: signature, params: params, contentSHA: r.Header.Get("X-Amz-Content-Sha256")}
	if amzDate != "" {
		t, e := parseAmzDate(amzDate)
		if e != nil {
			return e
		}
		in.when, in.amzDate = t, amzDate
	} else {
		t, err := http.ParseTime(date)
		if err != nil {
			return errBadDate(date)
		}
		in.when, in.amzDate = t.UTC(), t.UTC().Format(isoBasic)
	}
	if e := in.setCredential(credential); e != nil {
		return e
	}
	return in.setSignedHeaders(signedHeaders)
}

func parsePresigned(r *http.Request, params []queryParam, in *request) *Error {
	get := func(name string) (string, bool) {
		for _, p := range params {
			if p.key == name {
				return p.value, true
			}
		}
		return "", false
	}
	alg, _ := get("X-Amz-Algorithm")
	credential, _ := get("X-Amz-Credential")
	signature, _ := get("X-Amz-Signature")
	signedHeaders, _ := get("X-Amz-SignedHeaders")
	amzDate, _ := get("X-Amz-Date")

	var msg strings.Builder
	for _, m := range [...]struct{ name, val string }{
		{"X-Amz-Algorithm", alg}, {"X-Amz-Credential", credential}, {"X-Amz-Signature", signature},
		{"X-Amz-SignedHeaders", signedHeaders}, {"X-Amz-Date", amzDate},
	} {
		if m.val == "" {
			msg.WriteString("AWS query-string parameters must include '" + m.name + "'. ")
		}
	}
	if msg.Len() > 0 {
		msg.WriteString("Re-examine the query-string parameters.")
		return errIncomplete(msg.String())
	}
	if alg != algorithm {
		return errIncomplete("Unsupported AWS 'algorithm': '" + alg + "'")
	}
	*in = request{presigned: true, signature: signature, params: params}
	t, e := parseAmzDate(amzDate)
	if e != nil {
		return e
	}
	in.when, in.amzDate = t, amzDate
	if exp, ok := get("X-Amz-Expires"); ok {
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || n < 0 {
			return errIncomplete("X-Amz-Expires must be a non-negative integer, got '" + exp + "'.")
		}
		if n > maxPresignExpires {
			return errIncomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		in.expires, in.hasExpires = time.Duration(n)*time.Second, true
	}
	if cs, ok := get("X-Amz-Content-Sha256"); ok {
		in.contentSHA = cs
	} else {
		in.contentSHA = r.Header.Get("X-Amz-Content-Sha256")
	}
	if e := in.setCredential(credential); e != nil {
		return e
	}
	return in.setSignedHeaders(signedHeaders)
}

func errBadDate(v string) *Error {
	return errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + v + "'. See http://en.wikipedia.org/wiki/ISO_8601")
}

// parseAmzDate parses an ISO 8601 basic-format UTC time, 20060102T150405Z.
func parseAmzDate(v string) (time.Time, *Error) {
	if len(v) != len(isoBasic) {
		return time.Time{}, errBadDate(v)
	}
	if t, ok := parseAmzDateFast(v); ok {
		return t, nil
	}
	t, err := time.Parse(isoBasic, v)
	if err != nil {
		return time.Time{}, errBadDate(v)
	}
	return t, nil
}

// parseAmzDateFast parses a well-formed 20060102T150405Z without time.Parse;
// ok is false for anything time.Parse might treat otherwise (which it then
// decides).
func parseAmzDateFast(v string) (t time.Time, ok bool) {
	if len(v) != 16 || v[8] != 'T' || v[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(v[0:4])
	month, ok2 := num(v[4:6])
	day, ok3 := num(v[6:8])
	hour, ok4 := num(v[9:11])
	minute, ok5 := num(v[11:13])
	sec, ok6 := num(v[13:15])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false // days 29 to 31 too: time.Parse knows the month lengths
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

// setCredential splits keyid/date/region/service/terminator.
func (in *request) setCredential(credential string) *Error {
	if strings.Count(credential, "/") != 4 {
		return errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + credential + "'")
	}
	rest := credential
	in.accessKey, rest, _ = strings.Cut(rest, "/")
	in.date, rest, _ = strings.Cut(rest, "/")
	in.region, rest, _ = strings.Cut(rest, "/")
	in.service, in.term, _ = strings.Cut(rest, "/")
	return nil
}

// setSignedHeaders records the signed header names, which must include host.
func (in *request) setSignedHeaders(signedHeaders string) *Error {
	in.signedHeaders = signedHeaders
	in.headerNames = strings.ToLower(signedHeaders)
	for rest := in.headerNames; ; {
		h, more, found := strings.Cut(rest, ";")
		if h == "host" {
			return nil
		}
		if !found {
			break
		}
		rest = more
	}
	return errMismatch(msgHostNotSigned)
}
