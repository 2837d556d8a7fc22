package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
)

// DownloadConfig configures a Download sink.
type DownloadConfig struct {
	// URLPath selects the URL to download in the event's JSON, as a
	// consumer.Path: "links.bytes" or "/links/bytes". The first value it
	// selects must be a string. Required.
	URLPath string `json:"url_path"`
	// Dir is the directory the downloads are written to. It is created,
	// with its parents, when missing. Required.
	Dir string `json:"dir"`
	// Name is the template of each download's file name; default the last
	// segment of the URL's path (a hash of the event's key when the path has
	// none). Two events whose URLs end alike share a file; give a Name such
	// as "{{field \"id\" .Event}}.jpg" when that is not wanted. The rendered
	// name is made safe as for the Dir sink.
	Name string `json:"name"`
	// MaxBytes is the largest download accepted; a larger one is Permanent
	// and leaves no file. Default 100 MiB.
	MaxBytes int64 `json:"max_bytes"`
	// Timeout bounds one download, reading the body included; default 5m.
	Timeout consumer.Duration `json:"timeout"`
	// AllowedHosts, when set, are the only hosts downloads (and the
	// redirects they follow) may reach: an exact host name ("cdn.example.com")
	// or "*.suffix", matching any name below the suffix but not the suffix
	// itself. Case does not matter; ports are not compared. A URL on another
	// host is Permanent.
	AllowedHosts []string `json:"allowed_hosts"`
	// Mode is the files' permission bits in octal; default "0644".
	Mode string `json:"mode"`
	// Vars are the variables templates see as .Vars.
	Vars map[string]string `json:"vars"`
}

const (
	defaultMaxBytes        = 100 << 20
	defaultDownloadTimeout = 5 * time.Minute
	maxRedirects           = 10
)

// Validate reports the first problem with the configuration: no URLPath or
// Dir, a path or Name that does not parse, a negative MaxBytes or Timeout, a
// malformed host pattern or a bad Mode.
func (c DownloadConfig) Validate() error {
	if c.URLPath == "" {
		return errors.New("download sink: url_path is required")
	}
	if _, err := consumer.ParsePath(c.URLPath); err != nil {
		return fmt.Errorf("download sink: url_path: %w", err)
	}
	if c.Dir == "" {
		return errors.New("download sink: dir is required")
	}
	if _, err := parseTemplate("name", c.Name, ""); err != nil {
		return fmt.Errorf("download sink: %w", err)
	}
	if c.MaxBytes < 0 {
		return errors.New("download sink: max_bytes must not be negative")
	}
	if c.Timeout < 0 {
		return errors.New("download sink: timeout must not be negative")
	}
	for _, h := range c.AllowedHosts {
		if err := checkHostPattern(h); err != nil {
			return fmt.Errorf("download sink: allowed_hosts: %w", err)
		}
	}
	if _, err := parseMode(c.Mode); err != nil {
		return fmt.Errorf("download sink: %w", err)
	}
	return nil
}

// checkHostPattern accepts "host" or "*.suffix".
func checkHostPattern(p string) error {
	rest := strings.TrimPrefix(p, "*.")
	if rest == "" || strings.ContainsAny(rest, "*/ ") {
		return fmt.Errorf("%q: want a host name or *.suffix", p)
	}
	return nil
}

// hostAllowed reports whether host matches one of the patterns (all hosts
// when there are none).
func hostAllowed(host string, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, p := range patterns {
		p = strings.ToLower(p)
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == strings.TrimSuffix(p, ".") {
			return true
		}
	}
	return false
}

// Download is a sink that downloads the URL an event names (the photo
// status messages' links.bytes) into a directory. The body streams into a
// temporary file that is synced and renamed into place, so a reader never
// sees a partial download and downloading the same event twice leaves one
// file. Only http and https URLs are fetched, only on AllowedHosts when set,
// and at most MaxBytes.
//
// A missing or non-string URL, another scheme or host, an oversized body, a
// 4xx other than 408 and 429, and a 3xx left unresolved are Permanent; a
// network error, a timeout, 408, 429 and 5xx are retriable.
type Download struct {
	urlPath  consumer.Path
	dir      string
	name     *consumer.Template // nil: the URL's base name
	maxBytes int64
	timeout  time.Duration
	allowed  []string
	mode     fs.FileMode
	vars     map[string]string
	client   *http.Client
	logger   *slog.Logger
}

// NewDownload returns a Download sink, creating the directory when missing.
// It returns the configuration's Validate error or the error creating the
// directory.
func NewDownload(cfg DownloadConfig, logger *slog.Logger) (*Download, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ensureDir(cfg.Dir); err != nil {
		return nil, fmt.Errorf("download sink: %w", err)
	}
	d := &Download{
		urlPath:  consumer.MustParsePath(cfg.URLPath),
		dir:      cfg.Dir,
		maxBytes: cfg.MaxBytes,
		timeout:  cfg.Timeout.Or(defaultDownloadTimeout),
		allowed:  append([]string(nil), cfg.AllowedHosts...),
		vars:     cfg.Vars,
		logger:   orDiscard(logger),
	}
	if d.maxBytes == 0 {
		d.maxBytes = defaultMaxBytes
	}
	d.name, _ = parseTemplate("name", cfg.Name, "")
	d.mode, _ = parseMode(cfg.Mode)
	d.client = &http.Client{
		Transport: newTransport(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return consumer.Permanentf("stopped after %d redirects", maxRedirects)
			}
			if err := d.checkURL(req.URL); err != nil {
				return fmt.Errorf("redirect: %w", err)
			}
			return nil
		},
	}
	return d, nil
}

// checkURL returns a Permanent error unless u is an http or https URL on an
// allowed host.
func (d *Download) checkURL(u *url.URL) error {
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return consumer.Permanentf("url %q: scheme %q is not http or https", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return consumer.Permanentf("url %q: no host", u.Redacted())
	}
	if !hostAllowed(u.Hostname(), d.allowed) {
		return consumer.Permanentf("url %q: host %q is not in allowed_hosts", u.Redacted(), u.Hostname())
	}
	return nil
}

// target finds and checks the URL in ev.
func (d *Download) target(ev *consumer.Event) (*url.URL, error) {
	if ev.Doc == nil {
		return nil, consumer.Permanentf("event body is not JSON: no %s", d.urlPath)
	}
	v, ok := d.urlPath.First(ev.Doc)
	if !ok {
		return nil, consumer.Permanentf("event has no %s", d.urlPath)
	}
	raw, ok := v.(string)
	if !ok || raw == "" {
		return nil, consumer.Permanentf("event's %s is not a URL string: %s", d.urlPath, truncateUTF8(consumer.ValueString(v), snippetLen))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, consumer.Permanent(fmt.Errorf("event's %s: %w", d.urlPath, err))
	}
	if err := d.checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// fileName is the download's file name for ev.
func (d *Download) fileName(ev *consumer.Event, u *url.URL) (string, error) {
	if d.name != nil {
		rendered, err := d.name.Execute(ev, d.vars)
		if err != nil {
			return "", errRender("name", err)
		}
		return fileName(rendered, ev), nil
	}
	// The last segment of the path as sent, so that an escaped "/" inside
	// it does not split it.
	escaped := u.EscapedPath()
	base := escaped[strings.LastIndexByte(escaped, '/')+1:]
	if unescaped, err := url.PathUnescape(base); err == nil {
		base = unescaped
	}
	return fileName(base, ev), nil
}

// Deliver downloads the URL ev names into its file. It returns nil once the
// whole body is synced under its final name; see Download for which errors
// are Permanent.
func (d *Download) Deliver(ctx context.Context, ev *consumer.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("download sink: %w", err)
	}
	u, err := d.target(ev)
	if err != nil {
		return fmt.Errorf("download sink: %w", err)
	}
	name, err := d.fileName(ev, u)
	if err != nil {
		return fmt.Errorf("download sink: %w", err)
	}
	n, err := d.fetch(ctx, u, name)
	if err != nil {
		return fmt.Errorf("download sink: GET %s: %w", u.Redacted(), err)
	}
	d.logger.DebugContext(ctx, "download sink saved file", "url", u.Redacted(), "dir", d.dir,
		"file", name, "bytes", n, "message_id", ev.MessageID, "key", ev.Key)
	return nil
}

// fetch GETs u into dir/name and returns the number of bytes written.
func (d *Download) fetch(ctx context.Context, u *url.URL, name string) (int64, error) {
	dctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	timedOut := func(err error) error {
		if ctx.Err() == nil && errors.Is(dctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("not done within %s: %w", d.timeout, err)
		}
		return err
	}
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, consumer.Permanent(fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, timedOut(err)
	}
	defer drainClose(resp.Body)
	if err := checkResponse(resp, time.Now()); err != nil {
		return 0, err
	}
	if resp.ContentLength > d.maxBytes {
		return 0, consumer.Permanentf("Content-Length %d exceeds max_bytes %d", resp.ContentLength, d.maxBytes)
	}
	// Read one byte past the limit to tell "exactly MaxBytes" from "more".
	limit := d.maxBytes
	if limit < math.MaxInt64 {
		limit++
	}
	var n int64
	err = writeFileAtomic(d.dir, name, d.mode, func(w io.Writer) error {
		var err error
		n, err = io.Copy(w, io.LimitReader(resp.Body, limit))
		if err != nil {
			return fmt.Errorf("copy body: %w", timedOut(err))
		}
		if n > d.maxBytes {
			return consumer.Permanentf("body exceeds max_bytes %d", d.maxBytes)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", name, err)
	}
	return n, nil
}

// Close releases the sink's idle connections.
func (d *Download) Close() error {
	d.client.CloseIdleConnections()
	return nil
}
