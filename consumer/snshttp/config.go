package snshttp

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/snsverify"
)

// Defaults for Config fields left zero.
const (
	DefaultPath = "/"
	// DefaultMaxBodyBytes is SNS's largest message (256 KiB) plus room for
	// the envelope around it.
	DefaultMaxBodyBytes      = 300 << 10
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultConfirmTimeout    = 10 * time.Second
	DefaultCertFetchTimeout  = snsverify.DefaultFetchTimeout
	maxConfirmResponseBytes  = 64 << 10
)

// Config configures a Handler and, through Listen, TLS and the timeouts, a
// Server. The zero value (with Listen set, for a Server) accepts signed
// deliveries from AWS SNS in any region and confirms subscriptions.
type Config struct {
	// Listen is the address a Server listens on, "host:port" (port 0 picks
	// a free port; see Server.Addr). Required by NewServer; NewHandler
	// ignores it.
	Listen string `json:"listen"`
	// Path is the URL path a Server answers on; other paths get 404.
	// Default "/". NewHandler ignores it (mount the Handler where you like).
	Path string `json:"path"`
	// AutoConfirm confirms subscriptions by visiting the SubscribeURL of
	// each verified SubscriptionConfirmation. When false the SubscribeURL
	// is only logged (at Warn) for an operator to visit. Nil means true.
	AutoConfirm *bool `json:"auto_confirm"`
	// CertHostPattern is a regular expression the host of a message's
	// SigningCertURL, and of a SubscribeURL before it is visited, must
	// match. Anchor it (^...$). Empty means snsverify.DefaultHostPattern,
	// AWS's regional SNS endpoints; for a Herald broker use its host, e.g.
	// `^127\.0\.0\.1$`.
	CertHostPattern string `json:"cert_host_pattern"`
	// MatchHostPort matches CertHostPattern against "host:port" as the URL
	// writes it instead of the host name alone, to pin a local broker's
	// port (`^127\.0\.0\.1:9324$`).
	MatchHostPort bool `json:"match_host_port"`
	// AllowHTTPCerts accepts http:// (not only https://) SigningCertURLs
	// and SubscribeURLs, as a local broker without TLS sends. Never set it
	// for AWS: a certificate fetched in clear can be replaced on the way.
	AllowHTTPCerts bool `json:"allow_http_certs"`
	// TopicArns, when not empty, are the only topics accepted: messages of
	// other topics (notifications and confirmations alike) get 403 and are
	// not confirmed or processed.
	TopicArns []string `json:"topic_arns"`
	// AllowRaw accepts raw deliveries (subscription attribute
	// RawMessageDelivery=true, header x-amz-sns-rawdelivery: true). SNS does
	// not sign raw deliveries, so nothing proves that one came from SNS:
	// anyone who can reach the endpoint can inject messages, and the topic
	// allow-list can only check the x-amz-sns-topic-arn header, which is
	// as unauthenticated as the rest. Allow it only on an endpoint that
	// nothing but the broker can reach. False means raw deliveries get
	// 403.
	AllowRaw bool `json:"allow_raw"`
	// TLSCert and TLSKey are PEM files of a certificate (with any
	// intermediates) and its key. When both are set a Server serves HTTPS
	// (subscribe it with protocol https); when neither, plain HTTP.
	TLSCert string `json:"tls_cert"`
	TLSKey  string `json:"tls_key"`
	// MaxBodyBytes bounds a request body; larger ones get 413. Default
	// DefaultMaxBodyBytes (300 KiB).
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// ReadHeaderTimeout bounds reading a request's headers. Default 10s.
	ReadHeaderTimeout consumer.Duration `json:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included. Default
	// 30s.
	ReadTimeout consumer.Duration `json:"read_timeout"`
	// IdleTimeout is how long a kept-alive connection waits for its next
	// request. Default 120s.
	IdleTimeout consumer.Duration `json:"idle_timeout"`
	// ConfirmTimeout bounds the visit to a SubscribeURL. Default 10s.
	ConfirmTimeout consumer.Duration `json:"confirm_timeout"`
	// CertFetchTimeout bounds fetching a signing certificate (certificates
	// are cached for an hour). Default 10s.
	CertFetchTimeout consumer.Duration `json:"cert_fetch_timeout"`
}

// Validate reports the first problem with c, or nil. It does not require
// Listen (NewServer does) and does not read the TLS files (Server.Start
// does).
func (c *Config) Validate() error {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("snshttp: listen %q: %w", c.Listen, err)
		}
	}
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
		return fmt.Errorf("snshttp: path %q must start with /", c.Path)
	}
	if c.CertHostPattern != "" {
		if _, err := regexp.Compile(c.CertHostPattern); err != nil {
			return fmt.Errorf("snshttp: cert_host_pattern: %w", err)
		}
	}
	for _, arn := range c.TopicArns {
		if !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") != 5 {
			return fmt.Errorf("snshttp: topic_arns: %q is not a topic ARN", arn)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("snshttp: tls_cert and tls_key must be set together")
	}
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("snshttp: max_body_bytes %d is negative", c.MaxBodyBytes)
	}
	for _, d := range []struct {
		name string
		v    consumer.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout}, {"read_timeout", c.ReadTimeout},
		{"idle_timeout", c.IdleTimeout}, {"confirm_timeout", c.ConfirmTimeout},
		{"cert_fetch_timeout", c.CertFetchTimeout},
	} {
		if d.v < 0 {
			return fmt.Errorf("snshttp: %s %s is negative", d.name, d.v.Std())
		}
	}
	return nil
}

// autoConfirm is AutoConfirm with its default.
func (c *Config) autoConfirm() bool { return c.AutoConfirm == nil || *c.AutoConfirm }

// path is Path with its default.
func (c *Config) path() string {
	if c.Path == "" {
		return DefaultPath
	}
	return c.Path
}

// maxBody is MaxBodyBytes with its default.
func (c *Config) maxBody() int64 {
	if c.MaxBodyBytes == 0 {
		return DefaultMaxBodyBytes
	}
	return c.MaxBodyBytes
}

// hostPattern compiles CertHostPattern (already validated).
func (c *Config) hostPattern() *regexp.Regexp {
	if c.CertHostPattern == "" {
		return snsverify.DefaultHostPattern
	}
	return regexp.MustCompile(c.CertHostPattern)
}
