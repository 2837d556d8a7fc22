package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from the
// verifier's clock, either way, when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// signatureVersion prefixes each symmetric (HMAC-SHA256) signature entry.
const signatureVersion = "v1"

// Errors returned by Verify; test with errors.Is.
var (
	// ErrMissingHeader: webhook-id, webhook-timestamp or
	// webhook-signature is absent or empty.
	ErrMissingHeader = errors.New("missing webhook header")
	// ErrInvalidTimestamp: webhook-timestamp is not a non-negative
	// integer number of seconds.
	ErrInvalidTimestamp = errors.New("invalid webhook timestamp")
	// ErrTimestampTooOld and ErrTimestampTooNew: webhook-timestamp is
	// further than the tolerance before or after now.
	ErrTimestampTooOld = errors.New("webhook timestamp too old")
	ErrTimestampTooNew = errors.New("webhook timestamp too new")
	// ErrNoMatchingSignature: no v1 entry of webhook-signature is the
	// signature of the request under any of the secrets.
	ErrNoMatchingSignature = errors.New("no matching webhook signature")
)

// Sign returns the webhook-signature header value for a message: one
// "v1,<base64>" entry per non-zero secret, in order, separated by spaces.
// ts is truncated to whole seconds, as webhook-timestamp carries it. Pass
// the current and the previous secret while rotating. With no non-zero
// secret it returns "".
func Sign(id string, ts time.Time, body []byte, secrets ...Secret) string {
	var b strings.Builder
	for _, s := range secrets {
		if s.IsZero() {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(signatureVersion + ",")
		b.WriteString(base64.StdEncoding.EncodeToString(mac(s, id, ts.Unix(), body)))
	}
	return b.String()
}

// mac is the HMAC-SHA256 under s of "<id>.<ts>.<body>".
func mac(s Secret, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, ts, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received webhook: the three headers are present, the
// timestamp is within tolerance of now (either way; tolerance <= 0 means
// DefaultTolerance; a timestamp exactly tolerance away is accepted), and at
// least one "v1," entry of webhook-signature matches the body under one of
// the secrets. Signatures are compared in constant time; entries of other
// versions are ignored, and so are zero secrets.
//
// Errors wrap ErrMissingHeader, ErrInvalidTimestamp, ErrTimestampTooOld,
// ErrTimestampTooNew or ErrNoMatchingSignature. Check the signature before
// trusting anything else in the request, and deduplicate on webhook-id.
func Verify(header http.Header, body []byte, secrets []Secret, now time.Time, tolerance time.Duration) error {
	id := header.Get(HeaderID)
	tsText := header.Get(HeaderTimestamp)
	sigs := header.Get(HeaderSignature)
	for _, h := range [...]struct{ name, v string }{{HeaderID, id}, {HeaderTimestamp, tsText}, {HeaderSignature, sigs}} {
		if h.v == "" {
			return fmt.Errorf("webhook: %w: %s", ErrMissingHeader, h.name)
		}
	}
	ts, err := parseTimestamp(tsText)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	t := time.Unix(ts, 0)
	if d := now.Sub(t); d > tolerance {
		return fmt.Errorf("webhook: %w: %v before now, tolerance %v", ErrTimestampTooOld, d, tolerance)
	}
	if d := t.Sub(now); d > tolerance {
		return fmt.Errorf("webhook: %w: %v after now, tolerance %v", ErrTimestampTooNew, d, tolerance)
	}

	var want [][]byte
	for _, s := range secrets {
		if !s.IsZero() {
			want = append(want, mac(s, id, ts, body))
		}
	}
	for _, entry := range strings.Fields(sigs) {
		version, enc, ok := strings.Cut(entry, ",")
		if !ok || version != signatureVersion {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				return nil
			}
		}
	}
	return fmt.Errorf("webhook: %w", ErrNoMatchingSignature)
}

// parseTimestamp reads webhook-timestamp: decimal digits only.
func parseTimestamp(v string) (int64, error) {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("webhook: %w: %q", ErrInvalidTimestamp, truncate(v, 32))
		}
	}
	ts, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("webhook: %w: %q", ErrInvalidTimestamp, truncate(v, 32))
	}
	return ts, nil
}

// truncate shortens s to at most n bytes, for quoting untrusted input.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
