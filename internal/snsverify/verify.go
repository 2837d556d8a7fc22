// Package snsverify verifies the signatures of Amazon SNS messages
// (notifications, subscription confirmations and unsubscribe
// confirmations) pushed to an HTTP(S) endpoint, following AWS's documented
// algorithm ("Verifying the signatures of Amazon SNS messages"):
//
//  1. parse the JSON body and check the fields the message's Type needs;
//  2. check SignatureVersion: "1" is SHA1withRSA, "2" SHA256withRSA;
//  3. check that SigningCertURL is https (unless Options.AllowHTTP), names a
//     .pem file and is on a trusted host (Options.HostPattern, by default
//     AWS's regional SNS endpoints);
//  4. fetch the PEM certificate (cached per URL), check its validity dates
//     and, with Options.Roots, its chain;
//  5. build the string to sign ("Name\nValue\n" for each signed field, in
//     byte order of the names) and verify the base64 PKCS #1 v1.5
//     signature with the certificate's RSA key.
//
// It is written independently of internal/snsmsg, which signs Herald's
// messages, so that each checks the other. It serves Herald's consumer and
// tests; it accepts messages from AWS and from a Herald broker alike (point
// HostPattern at the broker's host).
//
// Errors are sentinels, wrapped with detail, so that callers can answer an
// HTTP push with 4xx (the message is bad and retrying will not help) or 5xx
// (ErrCertFetch: the certificate could not be fetched, which may pass).
package snsverify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// Errors returned by Verify, each wrapped with detail; test with errors.Is.
var (
	// ErrMalformed: the body is not a JSON object of SNS fields (a known
	// field is not a string, a key is repeated, ...).
	ErrMalformed = errors.New("snsverify: malformed message")
	// ErrUnknownType: Type is not one of the three SNS message types.
	ErrUnknownType = errors.New("snsverify: unknown message type")
	// ErrUnsigned: the message has no Signature. AWS does not sign
	// notifications from FIFO topics.
	ErrUnsigned = errors.New("snsverify: message is not signed")
	// ErrMissingField: a field the message's type requires is absent.
	ErrMissingField = errors.New("snsverify: missing field")
	// ErrSignatureVersion: SignatureVersion is neither "1" nor "2".
	ErrSignatureVersion = errors.New("snsverify: unsupported signature version")
	// ErrCertURL: SigningCertURL is not a usable URL: not https (or http
	// with AllowHTTP), not a .pem path, or with user info, query or
	// fragment.
	ErrCertURL = errors.New("snsverify: invalid signing certificate URL")
	// ErrCertHost: SigningCertURL's host does not match HostPattern.
	ErrCertHost = errors.New("snsverify: untrusted signing certificate host")
	// ErrCertFetch: the certificate could not be fetched (network error,
	// timeout, status other than 200, too large). It may be transient.
	ErrCertFetch = errors.New("snsverify: cannot fetch signing certificate")
	// ErrCertInvalid: the fetched document is not a PEM certificate with an
	// RSA key, or does not chain to Options.Roots.
	ErrCertInvalid = errors.New("snsverify: invalid signing certificate")
	// ErrCertExpired: the certificate is expired or not yet valid.
	ErrCertExpired = errors.New("snsverify: signing certificate expired or not yet valid")
	// ErrBadSignature: Signature is not base64 or does not match the
	// message.
	ErrBadSignature = errors.New("snsverify: invalid signature")
)

// DefaultHostPattern matches AWS's regional SNS endpoints,
// sns.<region>.amazonaws.com and sns.<region>.amazonaws.com.cn; it is the
// pattern AWS's own SNS message validators use.
var DefaultHostPattern = regexp.MustCompile(`^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$`)

// Defaults for Options.
const (
	DefaultCacheTTL     = time.Hour
	DefaultFetchTimeout = 10 * time.Second
	// MaxCertSize bounds the certificate document read from SigningCertURL.
	MaxCertSize = 64 << 10
	// maxCacheEntries bounds the certificate cache.
	maxCacheEntries = 64
)

// Options configure a Verifier. The zero value verifies messages from AWS.
type Options struct {
	// HostPattern must match the host of SigningCertURL. It should be
	// anchored (^...$). Nil means DefaultHostPattern.
	HostPattern *regexp.Regexp
	// MatchHostPort matches HostPattern against the URL's host and port as
	// written ("127.0.0.1:8080", url.URL.Host) instead of the host name
	// alone (url.URL.Hostname()). Use it to pin a local broker's port.
	MatchHostPort bool
	// AllowHTTP accepts http:// certificate URLs as well as https:// (for
	// local brokers and tests). Never set it for messages from AWS.
	AllowHTTP bool
	// Client fetches certificates. Nil means a client with no timeout of
	// its own (FetchTimeout applies). Redirects are never followed, so that
	// the host checked is the host fetched from.
	Client *http.Client
	// CacheTTL is how long a fetched certificate is reused. Zero means
	// DefaultCacheTTL. Failed fetches are not cached.
	CacheTTL time.Duration
	// FetchTimeout bounds one certificate fetch. Zero means
	// DefaultFetchTimeout.
	FetchTimeout time.Duration
	// Roots, if set, are the roots the certificate must chain to (any
	// further certificates in the PEM document are used as
	// intermediates). Nil means the chain is not checked, as in AWS's SNS
	// message validators; HostPattern and https are then the trust anchor.
	Roots *x509.CertPool
	// Now returns the time certificate validity is checked at. Nil means
	// time.Now.
	Now func() time.Time
}

// Verifier verifies SNS messages. It is safe for concurrent use.
type Verifier struct {
	hostPattern   *regexp.Regexp
	matchHostPort bool
	allowHTTP     bool
	client        *http.Client
	ttl           time.Duration
	timeout       time.Duration
	roots         *x509.CertPool
	now           func() time.Time

	mu    sync.Mutex
	cache map[string]*certEntry
}

// New returns a Verifier configured by opts.
func New(opts Options) *Verifier {
	v := &Verifier{
		hostPattern:   opts.HostPattern,
		matchHostPort: opts.MatchHostPort,
		allowHTTP:     opts.AllowHTTP,
		ttl:           opts.CacheTTL,
		timeout:       opts.FetchTimeout,
		roots:         opts.Roots,
		now:           opts.Now,
		cache:         make(map[string]*certEntry),
	}
	if v.hostPattern == nil {
		v.hostPattern = DefaultHostPattern
	}
	if v.ttl <= 0 {
		v.ttl = DefaultCacheTTL
	}
	if v.timeout <= 0 {
		v.timeout = DefaultFetchTimeout
	}
	if v.now == nil {
		v.now = time.Now
	}
	var c http.Client
	if opts.Client != nil {
		c = *opts.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	v.client = &c
	return v
}

// Verify parses body, an SNS message as POSTed to an endpoint, and verifies
// its signature. It returns the message only if the signature is valid.
// The certificate is fetched with ctx (bounded by FetchTimeout) unless
// cached.
//
// Errors (all wrapped, test with errors.Is): ErrMalformed, ErrUnknownType,
// ErrUnsigned, ErrMissingField, ErrSignatureVersion, ErrCertURL,
// ErrCertHost, ErrCertFetch, ErrCertInvalid, ErrCertExpired,
// ErrBadSignature. All but ErrCertFetch mean the message will never verify.
func (v *Verifier) Verify(ctx context.Context, body []byte) (*Message, error) {
	e, err := parse(body)
	if err != nil {
		return nil, err
	}
	m := &e.msg
	if !e.present["Type"] {
		return nil, fmt.Errorf("%w: Type", ErrMissingField)
	}
	required, ok := requiredKeys[m.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, m.Type)
	}
	if m.Signature == "" {
		return nil, ErrUnsigned
	}
	for _, k := range required {
		if !e.present[k] {
			return nil, fmt.Errorf("%w: %s", ErrMissingField, k)
		}
	}
	if m.SigningCertURL == "" {
		return nil, fmt.Errorf("%w: SigningCertURL", ErrMissingField)
	}
	if !e.present["SignatureVersion"] {
		return nil, fmt.Errorf("%w: SignatureVersion", ErrMissingField)
	}

	var (
		hash   crypto.Hash
		digest []byte
	)
	text := []byte(e.stringToSign())
	switch m.SignatureVersion {
	case "1":
		sum := sha1.Sum(text)
		hash, digest = crypto.SHA1, sum[:]
	case "2":
		sum := sha256.Sum256(text)
		hash, digest = crypto.SHA256, sum[:]
	default:
		return nil, fmt.Errorf("%w: %q", ErrSignatureVersion, m.SignatureVersion)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrBadSignature)
	}
	if err := v.checkCertURL(m.SigningCertURL); err != nil {
		return nil, err
	}

	cert, err := v.certificate(ctx, m.SigningCertURL)
	if err != nil {
		return nil, err
	}
	if now := v.now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("%w: valid from %s to %s", ErrCertExpired,
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	pub := cert.PublicKey.(*rsa.PublicKey) // checked when fetched
	if err := rsa.VerifyPKCS1v15(pub, hash, digest, sig); err != nil {
		return nil, ErrBadSignature
	}
	out := *m
	return &out, nil
}
