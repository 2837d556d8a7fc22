package sigv4

import (
	"net/http"
	"strings"
)

// Error is an authentication failure in AWS's terms: the error code, its
// message and the HTTP status AWS answers with. Every error is a client
// ("Sender") fault.
type Error struct {
	Code    string
	Message string
	Status  int

	// expired marks a signature outside its validity window (AWS reports
	// these as SignatureDoesNotMatch or RequestExpired).
	expired bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Expired reports whether the request was refused only because of its date:
// a signature older or newer than the allowed clock skew, or a presigned URL
// past X-Amz-Expires.
func (e *Error) Expired() bool { return e.expired }

// Error codes used by the verifier.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeRequestExpired             = "RequestExpired"
)

// Messages AWS uses verbatim.
const (
	msgMissingToken      = "Request is missing Authentication Token"
	msgInvalidToken      = "The security token included in the request is invalid."
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgRequestExpired    = "Request has expired."
	msgHostNotSigned     = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgBothAuth          = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
)

func errMissingToken() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Message: msgMissingToken, Status: http.StatusForbidden}
}

func errIncomplete(msg string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: msg, Status: http.StatusBadRequest}
}

func errInvalidToken() *Error {
	return &Error{Code: CodeInvalidClientTokenID, Message: msgInvalidToken, Status: http.StatusForbidden}
}

func errMismatch(msg string) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Message: msg, Status: http.StatusForbidden}
}

// errBadSignature is the SignatureDoesNotMatch AWS sends when the signature
// itself differs: the fixed sentence followed by the canonical request and
// string to sign the server computed.
func errBadSignature(canonical, stringToSign string) *Error {
	var b strings.Builder
	b.Grow(len(msgSignatureMismatch) + len(canonical) + len(stringToSign) + 128)
	b.WriteString(msgSignatureMismatch)
	b.WriteString("\n\nThe Canonical String for this request should have been\n'")
	b.WriteString(canonical)
	b.WriteString("'\n\nThe String-to-Sign should have been\n'")
	b.WriteString(stringToSign)
	b.WriteString("'\n")
	return errMismatch(b.String())
}

func errExpiredSkew(msg string) *Error {
	e := errMismatch(msg)
	e.expired = true
	return e
}

func errRequestExpired() *Error {
	return &Error{Code: CodeRequestExpired, Message: msgRequestExpired, Status: http.StatusBadRequest, expired: true}
}
