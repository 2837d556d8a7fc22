// Package sigv4 authenticates SQS and SNS requests signed with AWS
// Signature Version 4, the way AWS's own front ends do.
//
// It is the server half of SigV4: a [Verifier] takes an incoming
// *http.Request and its already-read body, rebuilds the canonical request the
// client must have signed (method, doubly URI-encoded and dot-normalised path,
// sorted canonical query string, the signed headers with trimmed and
// space-collapsed values, and the payload hash), derives the signing key of
// the credential scope and compares signatures in constant time.
//
// Both ways of carrying a signature are accepted:
//
//   - the Authorization header
//     ("AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…") with
//     X-Amz-Date or Date;
//   - a presigned URL (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
//     X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature and optionally
//     X-Amz-Security-Token in the query string).
//
// The payload hash is the SHA-256 of the body unless x-amz-content-sha256 is
// UNSIGNED-PAYLOAD or STREAMING-AWS4-HMAC-SHA256-PAYLOAD; in the latter case
// every aws-chunked chunk signature is checked too, and [Verifier.VerifyPayload]
// returns the decoded payload.
//
// Failures are *[Error] values carrying AWS's error code, message and HTTP
// status (for example SignatureDoesNotMatch, 403), ready to be rendered in
// the Query/XML or JSON error format by the caller.
//
// Derived signing keys are cached per access key, date, region and service,
// so a verification costs two SHA-256 digests of small strings, one of the
// body, and one HMAC.
package sigv4
