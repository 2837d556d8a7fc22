package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herald-dev/herald/publisher/format"
)

// Defaults of Config.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultUserAgent        = "Herald-Webhooks/1"
	DefaultMaxResponseBytes = 1024
	DefaultMaxRetryAfter    = time.Hour
)

// Headers Send adds besides the three signature headers. They are not
// covered by the signature: receivers must not trust them more than any
// other unsigned header.
const (
	// AttributeHeaderPrefix precedes each message attribute's name:
	// attribute "event_type" is sent as "Herald-Attribute-Event_type"
	// (header names are case-insensitive). No "X-" prefix (RFC 6648).
	AttributeHeaderPrefix = "Herald-Attribute-"
	// SubjectHeader carries the message's Subject, when it has one.
	SubjectHeader = "Herald-Subject"
)

// drainLimit bounds how much of a response is read after the snippet so
// that the connection can be reused; a longer response closes it.
const drainLimit = 64 << 10

// Config configures a Sender. The zero value is ready to use; a zero field
// means its default.
type Config struct {
	// Timeout bounds each attempt, from sending the request to reading
	// the response snippet. Default 10s.
	Timeout time.Duration
	// Client sends the requests. Default: a client with its own transport
	// (a clone of http.DefaultTransport). Whatever the client, redirects
	// are never followed: Send uses a copy whose CheckRedirect returns the
	// 3xx response, which is a permanent error.
	Client *http.Client
	// UserAgent is the User-Agent header. Default "Herald-Webhooks/1".
	UserAgent string
	// MaxResponseBytes is how much of a response body Result.Response and
	// error messages quote. Default 1024.
	MaxResponseBytes int
	// MaxRetryAfter caps an endpoint's Retry-After. Default 1h.
	MaxRetryAfter time.Duration
}

// Validate reports negative fields.
func (c *Config) Validate() error {
	var errs []error
	if c.Timeout < 0 {
		errs = append(errs, errors.New("webhook: Timeout is negative"))
	}
	if c.MaxResponseBytes < 0 {
		errs = append(errs, errors.New("webhook: MaxResponseBytes is negative"))
	}
	if c.MaxRetryAfter < 0 {
		errs = append(errs, errors.New("webhook: MaxRetryAfter is negative"))
	}
	return errors.Join(errs...)
}

// Sender posts signed webhooks. It is safe for concurrent use.
type Sender struct {
	cfg    Config
	client *http.Client
	now    func() time.Time // the clock; tests replace it
}

// NewSender returns a Sender for cfg. Zero and negative fields take their
// defaults (call Config.Validate to reject negative ones).
func NewSender(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	var c http.Client
	if cfg.Client != nil {
		c = *cfg.Client
	} else {
		c.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Sender{cfg: cfg, client: &c, now: time.Now}
}

// Result describes one attempt that reached the point of sending.
type Result struct {
	// Status is the response's status code, 0 when there was none.
	Status int
	// Duration is how long the attempt took.
	Duration time.Duration
	// Response is the start of the response body (Config.MaxResponseBytes
	// at most), as valid UTF-8.
	Response string
}

// Send posts msg.Body to url, signed with secrets (the current secret,
// and during rotation the previous one too). id is the webhook-id: pass
// the same id on every attempt of one delivery (Herald uses the event id).
// The request carries Content-Type msg.ContentType (default
// application/json), User-Agent, webhook-id, webhook-timestamp (now),
// webhook-signature, SubjectHeader when msg.Subject is set, and one
// AttributeHeaderPrefix+name header per attribute.
//
// A 2xx response is success: Send returns its Result and nil. Any failure
// is an *Error (see its fields for the classification). The Result is
// non-nil whenever the request was attempted, failed or not; it is nil
// only for an ErrInvalidRequest. Cancelling ctx aborts the attempt with a
// retriable *Error wrapping ctx's error.
//
// url must be https (or http: whether plain http is acceptable is the
// subscription's validation to decide) and carry no credentials.
func (s *Sender) Send(ctx context.Context, rawURL, id string, msg *format.Message, secrets []Secret) (*Result, error) {
	// The attempt is timed from before its deadline is set, so that a
	// timed-out attempt never reports less than the timeout.
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := s.newRequest(ctx, rawURL, id, msg, secrets)
	if err != nil {
		return nil, &Error{Err: err}
	}

	resp, err := s.client.Do(req)
	if err != nil {
		return &Result{Duration: time.Since(start)}, &Error{Retriable: true, Err: err}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		_ = resp.Body.Close()
	}()
	// A body that fails to arrive does not change the outcome: the status
	// decides it.
	snippet := readSnippet(resp.Body, s.cfg.MaxResponseBytes)
	res := &Result{Status: resp.StatusCode, Duration: time.Since(start), Response: snippet}
	if e := classify(resp.StatusCode, resp.Header, oneLine(snippet), s.now(), s.cfg.MaxRetryAfter); e != nil {
		return res, e
	}
	return res, nil
}

// newRequest builds the signed request. Its errors wrap ErrInvalidRequest.
func (s *Sender) newRequest(ctx context.Context, rawURL, id string, msg *format.Message, secrets []Secret) (*http.Request, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
	}
	if msg == nil {
		return nil, invalid("nil message")
	}
	if id == "" {
		return nil, invalid("empty webhook id")
	}
	if !validHeaderValue(id) {
		return nil, invalid("webhook id contains control characters")
	}
	if !slices.ContainsFunc(secrets, func(s Secret) bool { return !s.IsZero() }) {
		return nil, invalid("no secret to sign with")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, invalid("url: %v", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, invalid("url scheme %q is not https or http", u.Scheme)
	}
	if u.Host == "" {
		return nil, invalid("url has no host")
	}
	if u.User != nil {
		return nil, invalid("url must not carry credentials")
	}
	contentType := msg.ContentType
	if contentType == "" {
		contentType = format.ContentTypeJSON
	}
	h := make(http.Header, 6+len(msg.Attributes))
	set := func(name, v string) error {
		if !validHeaderValue(v) {
			return invalid("header %s contains control characters", name)
		}
		h.Add(name, v)
		return nil
	}
	if err := set("Content-Type", contentType); err != nil {
		return nil, err
	}
	if msg.Subject != "" {
		if err := set(SubjectHeader, msg.Subject); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(msg.Attributes))
	for n := range msg.Attributes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !validToken(n) {
			return nil, invalid("attribute name %q cannot be a header name", truncate(n, 64))
		}
		if err := set(AttributeHeaderPrefix+n, msg.Attributes[n]); err != nil {
			return nil, err
		}
	}
	ts := s.now()
	h.Set("User-Agent", s.cfg.UserAgent)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(id, ts, msg.Body, secrets...))

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(msg.Body))
	if err != nil {
		return nil, invalid("%v", err)
	}
	req.Header = h
	return req, nil
}

// readSnippet reads up to n bytes of body as valid UTF-8, cutting no rune
// in half.
func readSnippet(body io.Reader, n int) string {
	buf := make([]byte, n)
	m, _ := io.ReadFull(body, buf)
	b := buf[:m]
	if m == n {
		// Drop a trailing incomplete rune left by the cut.
		for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
			r, size := utf8.DecodeLastRune(b)
			if r != utf8.RuneError || size != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// oneLine makes a response snippet fit in one log line.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// validHeaderValue reports whether v can be sent as a header value: no
// control characters other than tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// validToken reports whether s is an HTTP token (RFC 9110), as a header
// name must be.
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
