package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinels an *Error wraps; test with errors.Is.
var (
	// ErrInvalidRequest: the delivery cannot be sent as given (bad URL,
	// missing id or secret, an attribute that cannot be a header).
	// Permanent.
	ErrInvalidRequest = errors.New("invalid webhook request")
	// ErrStatus: the endpoint answered with a status other than 2xx, 3xx
	// or 410.
	ErrStatus = errors.New("webhook endpoint returned an error status")
	// ErrRedirect: the endpoint answered 3xx. Redirects are not followed,
	// so this is permanent: the subscription's URL must be corrected.
	ErrRedirect = errors.New("webhook endpoint redirected (redirects are not followed)")
	// ErrEndpointGone: the endpoint answered 410 Gone, asking not to be
	// called again. Permanent; the caller should deactivate the
	// subscription.
	ErrEndpointGone = errors.New("webhook endpoint gone")
)

// Error is a failed delivery attempt, classified for the retry policy.
// Send returns every failure as an *Error.
type Error struct {
	// Status is the response's status code, 0 when there was no response
	// (network error, timeout, invalid request).
	Status int
	// RetryAfter is the endpoint's Retry-After (seconds or HTTP date),
	// capped at Config.MaxRetryAfter; 0 when absent, malformed or past.
	// A retry policy should wait at least this long.
	RetryAfter time.Duration
	// Retriable reports whether the same request may succeed later: true
	// for 408, 425, 429, 5xx, other non-standard statuses, network errors
	// and timeouts; false for 3xx, 410 and other 4xx.
	Retriable bool
	// Err is the cause: ErrStatus, ErrRedirect, ErrEndpointGone or
	// ErrInvalidRequest (wrapped with details), or a transport error.
	Err error
}

func (e *Error) Error() string {
	class := "permanent"
	if e.Retriable {
		class = "retriable"
	}
	msg := "webhook: " + class
	if e.Status != 0 {
		msg += " status " + strconv.Itoa(e.Status)
	}
	if e.RetryAfter > 0 {
		msg += " (retry after " + e.RetryAfter.String() + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Gone reports whether the endpoint answered 410 Gone.
func (e *Error) Gone() bool { return errors.Is(e.Err, ErrEndpointGone) }

// IsRetriable reports whether err is an *Error marked Retriable. Errors
// that are not an *Error are not retriable.
func IsRetriable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retriable
}

// classify returns nil for a 2xx status and otherwise the *Error for it.
// snippet is the start of the response body; h its headers.
func classify(status int, h http.Header, snippet string, now time.Time, maxRetryAfter time.Duration) *Error {
	e := &Error{Status: status}
	detail := ""
	if snippet != "" {
		detail = ": " + snippet
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status >= 300 && status < 400:
		loc := h.Get("Location")
		e.Err = fmt.Errorf("%w (Location %q)%s", ErrRedirect, truncate(loc, 200), detail)
		return e
	case status == http.StatusGone:
		e.Err = fmt.Errorf("%w%s", ErrEndpointGone, detail)
		return e
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status == http.StatusTooManyRequests:
		e.Retriable = true
	case status >= 400 && status < 500:
		e.Retriable = false
	default: // 5xx, and statuses HTTP does not define: treat as server errors.
		e.Retriable = true
	}
	if e.Retriable {
		e.RetryAfter = parseRetryAfter(h.Get("Retry-After"), now, maxRetryAfter)
	}
	e.Err = fmt.Errorf("%w%s", ErrStatus, detail)
	return e
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP
// date. It returns 0 when v is empty, malformed or not in the future, and
// at most limit.
func parseRetryAfter(v string, now time.Time, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" || limit <= 0 {
		return 0
	}
	var d time.Duration
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0
		}
		if err != nil || secs > uint64(limit/time.Second) {
			return limit
		}
		d = time.Duration(secs) * time.Second
	} else {
		t, err := http.ParseTime(v)
		if err != nil {
			return 0
		}
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, limit)
}
