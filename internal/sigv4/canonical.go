package sigv4

import (
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// unreserved reports whether c is in RFC 3986's unreserved set, the only
// bytes SigV4's URI encoding leaves alone.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// appendEscaped appends s URI-encoded as SigV4 wants it: every byte outside
// the unreserved set (and '/' when keepSlash) as %XX with uppercase hex.
func appendEscaped(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
	}
	return b
}

// canonicalURI is the path as AWS canonicalises it for every service but S3:
// the path as sent (still percent-encoded), with "." and ".." segments
// removed, encoded once more.
func canonicalURI(b []byte, r *http.Request) []byte {
	p := r.URL.EscapedPath()
	if p == "" {
		p = "/"
	}
	if strings.Contains(p, "/.") || strings.HasPrefix(p, ".") {
		p = removeDotSegments(p)
	}
	return appendEscaped(b, p, true)
}

// removeDotSegments implements RFC 3986 section 5.2.4 for an absolute path;
// empty segments ("//") are kept.
func removeDotSegments(p string) string {
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	res := strings.Join(out, "/")
	if !strings.HasPrefix(res, "/") {
		res = "/" + res
	}
	return res
}

// queryParam is one decoded query parameter.
type queryParam struct{ key, value string }

// parseQuery splits a raw query string into decoded parameters, in order.
// '+' decodes to a space as in HTML forms; a malformed escape keeps the raw
// text.
func parseQuery(raw string) []queryParam {
	if raw == "" {
		return nil
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		params = append(params, queryParam{unescapeQuery(k), unescapeQuery(v)})
	}
	return params
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// canonicalQuery appends the canonical query string: every parameter but
// skip, names and values URI-encoded, sorted by encoded name then value.
func canonicalQuery(b []byte, params []queryParam, skip string) []byte {
	enc := make([]queryParam, 0, len(params))
	var tmp []byte
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		tmp = appendEscaped(tmp[:0], p.key, false)
		k := string(tmp)
		tmp = appendEscaped(tmp[:0], p.value, false)
		enc = append(enc, queryParam{k, string(tmp)})
	}
	if len(enc) > 1 {
		sort.Slice(enc, func(i, j int) bool {
			if enc[i].key != enc[j].key {
				return enc[i].key < enc[j].key
			}
			return enc[i].value < enc[j].value
		})
	}
	for i, p := range enc {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.key...)
		b = append(b, '=')
		b = append(b, p.value...)
	}
	return b
}

// headerValues returns the values of the lower-case header name as the
// request carries them. Go's server moves Host out of the header map, and a
// request built in-process may keep its length only in ContentLength.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	}
	key, ok := canonicalNames[name]
	if !ok {
		key = textproto.CanonicalMIMEHeaderKey(name)
	}
	if vs := r.Header[key]; len(vs) > 0 {
		return vs
	}
	if name == "content-length" && r.ContentLength > 0 {
		return []string{strconv.FormatInt(r.ContentLength, 10)}
	}
	// A name that is not a valid token is stored verbatim by net/textproto.
	for k, vs := range r.Header {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	return nil
}

// appendHeaderValue appends v with leading and trailing blanks removed and
// every run of inner spaces reduced to one space ("trimall").
func appendHeaderValue(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}

// canonicalNames maps the lower-case names of the headers SDKs usually sign
// to their canonical form (textproto.CanonicalMIMEHeaderKey), which would
// otherwise be computed, and allocated, for every request.
var canonicalNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		"Content-Type", "Content-Length", "Content-Md5", "Content-Encoding", "Date", "User-Agent",
		"X-Amz-Date", "X-Amz-Target", "X-Amz-Content-Sha256", "X-Amz-Security-Token", "X-Amz-User-Agent",
		"X-Amzn-Query-Mode", "X-Amz-Decoded-Content-Length", "X-Amzn-Trace-Id",
		"Amz-Sdk-Invocation-Id", "Amz-Sdk-Request",
	} {
		m[strings.ToLower(n)] = textproto.CanonicalMIMEHeaderKey(n)
	}
	return m
}()

// canonicalHeaders appends "name:value\n" for every signed header (names
// in lower case, separated by ';'), multiple values of one header joined
// by commas.
func canonicalHeaders(b []byte, r *http.Request, names string) []byte {
	for rest := names; ; {
		name, more, found := strings.Cut(rest, ";")
		b = appendCanonicalHeader(b, r, name)
		if !found {
			return b
		}
		rest = more
	}
}

func appendCanonicalHeader(b []byte, r *http.Request, name string) []byte {
	b = append(b, name...)
	b = append(b, ':')
	if name == "host" { // what headerValues returns, without a slice
		h := r.Host
		if h == "" {
			h = r.URL.Host
		}
		b = appendHeaderValue(b, h)
		return append(b, '\n')
	}
	for i, v := range headerValues(r, name) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHeaderValue(b, v)
	}
	return append(b, '\n')
}
