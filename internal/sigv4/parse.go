package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRequest extracts the signature parameters from the Authorization
// header or, failing that, from a presigned query string.
func parseRequest(r *http.Request) (*request, *Error) {
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
			return nil, errMismatch(msgBothAuth)
		}
		return parseHeaderAuth(r, auth, params)
	}
	if presigned {
		return parsePresigned(r, params)
	}
	return nil, errMissingToken()
}

func isAuthSep(c rune) bool { return c == ',' || c == ' ' || c == '\t' }

func parseHeaderAuth(r *http.Request, auth string, params []queryParam) (*request, *Error) {
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != algorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': '" + alg + "'")
	}
	var credential, signedHeaders, signature string
	for _, part := range strings.FieldsFunc(rest, isAuthSep) {
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, errIncomplete("'" + part + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + auth + "'.")
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
		return nil, errIncomplete(msg.String())
	}

	in := &request{signature: signature, params: params, contentSHA: r.Header.Get("X-Amz-Content-Sha256")}
	if amzDate != "" {
		t, e := parseAmzDate(amzDate)
		if e != nil {
			return nil, e
		}
		in.when, in.amzDate = t, amzDate
	} else {
		t, err := http.ParseTime(date)
		if err != nil {
			return nil, errBadDate(date)
		}
		in.when, in.amzDate = t.UTC(), t.UTC().Format(isoBasic)
	}
	if e := in.setCredential(credential); e != nil {
		return nil, e
	}
	if e := in.setSignedHeaders(signedHeaders); e != nil {
		return nil, e
	}
	return in, nil
}

func parsePresigned(r *http.Request, params []queryParam) (*request, *Error) {
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
		return nil, errIncomplete(msg.String())
	}
	if alg != algorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': '" + alg + "'")
	}
	in := &request{presigned: true, signature: signature, params: params}
	t, e := parseAmzDate(amzDate)
	if e != nil {
		return nil, e
	}
	in.when, in.amzDate = t, amzDate
	if exp, ok := get("X-Amz-Expires"); ok {
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || n < 0 {
			return nil, errIncomplete("X-Amz-Expires must be a non-negative integer, got '" + exp + "'.")
		}
		if n > maxPresignExpires {
			return nil, errIncomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		in.expires, in.hasExpires = time.Duration(n)*time.Second, true
	}
	if cs, ok := get("X-Amz-Content-Sha256"); ok {
		in.contentSHA = cs
	} else {
		in.contentSHA = r.Header.Get("X-Amz-Content-Sha256")
	}
	if e := in.setCredential(credential); e != nil {
		return nil, e
	}
	if e := in.setSignedHeaders(signedHeaders); e != nil {
		return nil, e
	}
	return in, nil
}

func errBadDate(v string) *Error {
	return errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + v + "'. See http://en.wikipedia.org/wiki/ISO_8601")
}

// parseAmzDate parses an ISO 8601 basic-format UTC time, 20060102T150405Z.
func parseAmzDate(v string) (time.Time, *Error) {
	if len(v) != len(isoBasic) {
		return time.Time{}, errBadDate(v)
	}
	t, err := time.Parse(isoBasic, v)
	if err != nil {
		return time.Time{}, errBadDate(v)
	}
	return t, nil
}

// setCredential splits keyid/date/region/service/terminator.
func (in *request) setCredential(credential string) *Error {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + credential + "'")
	}
	in.accessKey, in.date, in.region, in.service, in.term = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

// setSignedHeaders records the signed header names, which must include host.
func (in *request) setSignedHeaders(signedHeaders string) *Error {
	in.signedHeaders = signedHeaders
	in.headerNames = strings.Split(strings.ToLower(signedHeaders), ";")
	for _, h := range in.headerNames {
		if h == "host" {
			return nil
		}
	}
	return errMismatch(msgHostNotSigned)
}
