package sinks

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/httpx"
)

const (
	// snippetLen is how much of an error response's body an error quotes.
	snippetLen = 200
	// drainLimit bounds how much of a response body is read (and thrown
	// away) so that the connection can be reused; a longer body closes it.
	drainLimit = 64 << 10
	// userAgent identifies the consumer to the servers it calls.
	userAgent = "herald-consumer"
)

// StatusError is an HTTP response that was not a success. HTTP and
// Download return it wrapped (and marked consumer.Permanent for statuses a
// retry cannot change); find it with errors.As.
type StatusError struct {
	// StatusCode is the response's status code, Status its status line
	// ("503 Service Unavailable").
	StatusCode int
	Status     string
	// Body is the start of the response body (at most 200 bytes), for the
	// log.
	Body string
	// RetryAfter is the response's Retry-After, zero when absent.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := "status " + e.Status
	if e.Status == "" {
		msg = "status " + strconv.Itoa(e.StatusCode)
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retriable reports whether a retry of the same request may succeed: 408,
// 429 and 5xx (and statuses outside 1xx-5xx) may, other 3xx and 4xx cannot.
func (e *StatusError) Retriable() bool {
	c := e.StatusCode
	switch {
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests:
		return true
	case c >= 300 && c < 500:
		return false
	}
	return true
}

// checkResponse returns nil for a 2xx response, and otherwise a
// *StatusError quoting the start of the body, marked Permanent when a retry
// cannot help. It reads from the body only when the status is not 2xx; the
// caller still drains and closes it.
func checkResponse(resp *http.Response, now time.Time) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	se := &StatusError{StatusCode: resp.StatusCode, Status: resp.Status, Body: readSnippet(resp.Body)}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	if !se.Retriable() {
		return consumer.Permanent(se)
	}
	return se
}

// readSnippet reads the start of an error response's body as printable
// text.
func readSnippet(body io.Reader) string {
	buf := make([]byte, snippetLen)
	n, _ := io.ReadFull(body, buf)
	s := truncateUTF8(strings.ToValidUTF8(string(buf[:n]), "\uFFFD"), snippetLen)
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if n == snippetLen {
		s += "..."
	}
	return s
}

// drainClose reads what is left of a response body, up to drainLimit, and
// closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	_ = body.Close()
}

// parseRetryAfter reads a Retry-After header: a number of seconds or an
// HTTP date. It returns zero when the header is absent, malformed or in the
// past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			return 24 * time.Hour
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// checkHeaderValue rejects a rendered header value that the HTTP transport
// would refuse: it may not contain CR, LF or NUL.
func checkHeaderValue(name, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("header %s: value contains CR, LF or NUL", name)
	}
	return nil
}

// validToken reports whether s is an HTTP token (a method or header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// idleConnsPerHost is how many idle connections a sink keeps to one host:
// as many as deliveries run at once in a busy listener, instead of
// net/http's default of 2, with which every delivery past the second
// closes its connection and the next one dials anew.
const idleConnsPerHost = 64

// newTransport is a transport of the sink's own, so that its Close releases
// only its own connections.
func newTransport() *http.Transport { return httpx.Transport(idleConnsPerHost) }
