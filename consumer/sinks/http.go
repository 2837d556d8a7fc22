package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
)

// HTTPConfig configures an HTTP sink.
type HTTPConfig struct {
	// URL is the endpoint each event is sent to, a template (for example
	// "https://hooks.example.com/{{.Vars.env}}/photos"). It must render to an
	// absolute http or https URL. Required.
	URL string `json:"url"`
	// Method is the request method; default POST.
	Method string `json:"method"`
	// Headers are extra request headers: name to value template. They are
	// set after the sink's own headers (Content-Type, Idempotency-Key,
	// X-Herald-Message-Id, User-Agent) and replace them.
	Headers map[string]string `json:"headers"`
	// Vars are the variables templates see as .Vars.
	Vars map[string]string `json:"vars"`
	// Timeout bounds each attempt, reading the response included; default
	// 10s.
	Timeout consumer.Duration `json:"timeout"`
	// Retries is how many more attempts one Deliver makes after a retriable
	// failure (a network error, 408, 429 or 5xx); default 2, -1 for none.
	// After the last one the message is left for redelivery.
	Retries int `json:"retries"`
	// RetryBackoff is the wait before the first retry, doubled for each
	// further retry and spread by jitter over [half, full]; default 200ms.
	RetryBackoff consumer.Duration `json:"retry_backoff"`
	// MaxBackoff caps every wait between attempts, including one a
	// Retry-After header asks for; default 5s.
	MaxBackoff consumer.Duration `json:"max_backoff"`
}

const (
	defaultHTTPTimeout  = 10 * time.Second
	defaultHTTPRetries  = 2
	defaultRetryBackoff = 200 * time.Millisecond
	defaultMaxBackoff   = 5 * time.Second
)

// Validate reports the first problem with the configuration: a missing or
// malformed URL, a bad method or header name, a template that does not
// parse, a negative duration or a retry count below -1.
func (c HTTPConfig) Validate() error {
	_, err := c.compile()
	return err
}

// httpPlan is a validated HTTPConfig with its templates parsed.
type httpPlan struct {
	url     *consumer.Template
	method  string
	headers []headerTemplate
}

type headerTemplate struct {
	name string // canonical
	tmpl *consumer.Template
}

func (c HTTPConfig) compile() (*httpPlan, error) {
	if c.URL == "" {
		return nil, errors.New("http sink: url is required")
	}
	p := &httpPlan{method: strings.ToUpper(c.Method)}
	if p.method == "" {
		p.method = http.MethodPost
	}
	if !validToken(p.method) {
		return nil, fmt.Errorf("http sink: method %q is not a valid HTTP method", c.Method)
	}
	var err error
	if p.url, err = parseTemplate("url", c.URL, ""); err != nil {
		return nil, fmt.Errorf("http sink: %w", err)
	}
	if !strings.Contains(c.URL, "{{") {
		if _, err := checkTargetURL(c.URL); err != nil {
			return nil, fmt.Errorf("http sink: %w", err)
		}
	}
	for name, text := range c.Headers {
		if !validToken(name) {
			return nil, fmt.Errorf("http sink: header name %q is not a valid HTTP header name", name)
		}
		t, err := consumer.ParseTemplate("header "+name, text)
		if err != nil {
			return nil, fmt.Errorf("http sink: %w", err)
		}
		p.headers = append(p.headers, headerTemplate{name: http.CanonicalHeaderKey(name), tmpl: t})
	}
	slices.SortFunc(p.headers, func(a, b headerTemplate) int { return strings.Compare(a.name, b.name) })
	switch {
	case c.Timeout < 0:
		return nil, errors.New("http sink: timeout must not be negative")
	case c.RetryBackoff < 0:
		return nil, errors.New("http sink: retry_backoff must not be negative")
	case c.MaxBackoff < 0:
		return nil, errors.New("http sink: max_backoff must not be negative")
	case c.Retries < -1:
		return nil, errors.New("http sink: retries must be -1 (none), 0 (default) or more")
	}
	return p, nil
}

// checkTargetURL parses an absolute http or https URL.
func checkTargetURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, fmt.Errorf("url %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("url %q: no host", u.Redacted())
	}
	return u, nil
}

// HTTP is a sink that sends each event's body to an HTTP endpoint (a
// webhook). A 2xx answer is success. Network errors, 408, 429 and 5xx are
// retried within the call with exponential backoff and jitter (honouring a
// Retry-After on 429 and 503, capped), then returned as retriable errors.
// Any other 4xx, and any 3xx (redirects are not followed), is Permanent.
//
// Each request carries Idempotency-Key (the event's dedupe key, when it has
// one) and X-Herald-Message-Id, so that the endpoint can discard the
// duplicates at-least-once delivery produces. One Deliver can take up to
// (Retries+1)*Timeout plus the waits between attempts.
type HTTP struct {
	plan    *httpPlan
	vars    map[string]string
	timeout time.Duration
	retries int
	base    time.Duration
	ceiling time.Duration
	client  *http.Client
	logger  *slog.Logger
}

// NewHTTP returns an HTTP sink, or the configuration's Validate error.
func NewHTTP(cfg HTTPConfig, logger *slog.Logger) (*HTTP, error) {
	plan, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	h := &HTTP{
		plan:    plan,
		vars:    cfg.Vars,
		timeout: cfg.Timeout.Or(defaultHTTPTimeout),
		retries: cfg.Retries,
		base:    cfg.RetryBackoff.Or(defaultRetryBackoff),
		ceiling: cfg.MaxBackoff.Or(defaultMaxBackoff),
		logger:  orDiscard(logger),
	}
	switch h.retries {
	case 0:
		h.retries = defaultHTTPRetries
	case -1:
		h.retries = 0
	}
	h.client = &http.Client{
		Transport: newTransport(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return h, nil
}

// Deliver sends ev. It returns nil once the endpoint answered 2xx; a
// Permanent error for a 3xx, a 4xx other than 408 and 429, or a template
// that does not render to a valid request; and a retriable error when the
// last attempt failed otherwise or ctx ended.
func (h *HTTP) Deliver(ctx context.Context, ev *consumer.Event) error {
	target, header, err := h.render(ev)
	if err != nil {
		return fmt.Errorf("http sink: %w", err)
	}
	where := h.plan.method + " " + target.Redacted()
	attempts := h.retries + 1
	var last error
	for attempt := 1; ; attempt++ {
		err := h.attempt(ctx, target, header, ev.Body)
		if err == nil {
			return nil
		}
		if consumer.IsPermanent(err) {
			return fmt.Errorf("http sink: %s: %w", where, err)
		}
		last = err
		if attempt >= attempts || ctx.Err() != nil {
			return fmt.Errorf("http sink: %s: attempt %d of %d: %w", where, attempt, attempts, last)
		}
		wait := backoff(attempt, h.base, h.ceiling, rand.Float64())
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = min(se.RetryAfter, h.ceiling)
		}
		h.logger.DebugContext(ctx, "http sink attempt failed", "url", target.Redacted(),
			"message_id", ev.MessageID, "key", ev.Key, "attempt", attempt, "wait", wait, "err", err)
		if !sleepCtx(ctx, wait) {
			return fmt.Errorf("http sink: %s: attempt %d of %d, then %w: %w", where, attempt, attempts, context.Cause(ctx), last)
		}
	}
}

// render builds the request's URL and headers for ev.
func (h *HTTP) render(ev *consumer.Event) (*url.URL, http.Header, error) {
	raw, err := h.plan.url.Execute(ev, h.vars)
	if err != nil {
		return nil, nil, errRender("url", err)
	}
	target, err := checkTargetURL(raw)
	if err != nil {
		return nil, nil, consumer.Permanent(err)
	}
	header := http.Header{}
	if ev.Doc != nil {
		header.Set("Content-Type", "application/json")
	} else {
		header.Set("Content-Type", "application/octet-stream")
	}
	if ev.Key != "" {
		header.Set("Idempotency-Key", ev.Key)
	}
	if ev.MessageID != "" {
		header.Set("X-Herald-Message-Id", ev.MessageID)
	}
	header.Set("User-Agent", userAgent)
	for _, ht := range h.plan.headers {
		v, err := ht.tmpl.Execute(ev, h.vars)
		if err != nil {
			return nil, nil, errRender("header "+ht.name, err)
		}
		header.Set(ht.name, v)
	}
	for name, vs := range header {
		for _, v := range vs {
			if err := checkHeaderValue(name, v); err != nil {
				return nil, nil, consumer.Permanent(err)
			}
		}
	}
	return target, header, nil
}

// attempt makes one request under the per-attempt timeout.
func (h *HTTP) attempt(ctx context.Context, target *url.URL, header http.Header, body []byte) error {
	actx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, h.plan.method, target.String(), bytes.NewReader(body))
	if err != nil {
		return consumer.Permanent(fmt.Errorf("build request: %w", err))
	}
	req.Header = header.Clone()
	if host := header.Get("Host"); host != "" {
		req.Host = host
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s: %w", h.timeout, err)
		}
		return err
	}
	defer drainClose(resp.Body)
	err = checkResponse(resp, time.Now())
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return fmt.Errorf("%w (redirects are not followed)", err)
	}
	return err
}

// Close releases the sink's idle connections.
func (h *HTTP) Close() error {
	h.client.CloseIdleConnections()
	return nil
}

// sleepCtx waits for d or until ctx is done, and reports whether the full
// wait elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
