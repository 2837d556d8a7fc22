package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix starts every written secret.
const SecretPrefix = "whsec_"

// Bounds of a secret's key length in bytes, and the length NewSecret
// generates.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
	newSecretBytes = 24
)

// ErrInvalidSecret is wrapped by every ParseSecret error.
var ErrInvalidSecret = errors.New("invalid webhook secret")

// Secret is a signing key. The zero Secret has no key: Sign skips it and
// Verify never accepts a signature because of it.
//
// A Secret is sensitive: String returns the key in its written form, so do
// not log a Secret or print it with %v.
type Secret struct {
	key []byte
}

// ParseSecret reads a secret written as "whsec_" followed by the standard
// base64 encoding (with padding) of 24 to 64 bytes. Errors wrap
// ErrInvalidSecret; they never quote the secret.
func ParseSecret(s string) (Secret, error) {
	enc, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return Secret{}, fmt.Errorf("%w: does not start with %q", ErrInvalidSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(enc)
	// The decoder skips CR and LF; accept only the canonical encoding.
	if err != nil || base64.StdEncoding.EncodeToString(key) != enc {
		return Secret{}, fmt.Errorf("%w: not standard base64 after %q", ErrInvalidSecret, SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return Secret{}, fmt.Errorf("%w: key is %d bytes, want %d to %d", ErrInvalidSecret, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return Secret{key: key}, nil
}

// NewSecret returns a secret of 24 random bytes from crypto/rand.
func NewSecret() (Secret, error) {
	key := make([]byte, newSecretBytes)
	if _, err := rand.Read(key); err != nil {
		return Secret{}, fmt.Errorf("webhook: new secret: %w", err)
	}
	return Secret{key: key}, nil
}

// String returns the secret in its written form, "whsec_<base64>", which
// ParseSecret reads back; "" for the zero Secret.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(s.key)
}

// IsZero reports whether s has no key.
func (s Secret) IsZero() bool { return len(s.key) == 0 }
