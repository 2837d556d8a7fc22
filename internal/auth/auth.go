// Package auth carries who made a broker request from the authentication
// step (SigV4, internal/sigv4) to the authorization step (queue and topic
// policies, internal/policy) and the protocol adapters, which turn its
// errors into each protocol's wire errors.
package auth

import (
	"net/http"
	"strings"
)

// Caller is the authenticated caller of one request.
type Caller struct {
	// Account is the caller's account id.
	Account string
	// PrincipalARN ("arn:aws:iam::123456789012:user/alice") and
	// PrincipalID (what SQS reports as SenderId: the account for a root
	// principal, "AIDA…" for a user).
	PrincipalARN, PrincipalID string
	// Secure tells whether the request came over TLS (aws:SecureTransport).
	Secure bool
	// SourceIP is the client's address (aws:SourceIp).
	SourceIP string
	// Anonymous is set when authentication is off (--no-auth): the caller
	// is then treated as the broker account's root.
	Anonymous bool
}

// Error is an authentication or authorization failure as AWS reports it.
type Error struct {
	Code    string // e.g. "SignatureDoesNotMatch", "AccessDenied"
	Message string
	Status  int // HTTP status, 400 or 403
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Authenticator authenticates one request whose body has been read. It
// returns the caller or an *Error.
type Authenticator func(r *http.Request, body []byte) (Caller, error)

// SourceIP returns the client address of r without its port.
func SourceIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
