package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm        = "AWS4-HMAC-SHA256"
	isoBasic         = "20060102T150405Z"
	terminator       = "aws4_request"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	streamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	emptySHA256      = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	// DefaultMaxSkew is the clock skew AWS tolerates between a request's date
	// and its own clock.
	DefaultMaxSkew = 15 * time.Minute
	// maxPresignExpires is SigV4's upper bound for X-Amz-Expires: a week.
	maxPresignExpires = 7 * 24 * 60 * 60
)

// Identity is what an access key id resolves to.
type Identity struct {
	AccessKeyID, SecretAccessKey, Account, PrincipalARN, PrincipalID string
}

// Verifier authenticates SigV4-signed requests for one service in one
// region. Its exported fields must not change once it is in use, and it must
// not be copied after first use; it is safe for concurrent use.
type Verifier struct {
	// Lookup resolves an access key id; false means the key is unknown.
	// Session tokens (X-Amz-Security-Token) are signed like any other header
	// or parameter; deciding whether a key is usable is Lookup's job.
	Lookup func(accessKeyID string) (Identity, bool)
	// Service must equal the credential scope's service ("sqs" or "sns");
	// empty accepts any.
	Service string
	// Region must equal the credential scope's region; empty accepts any.
	Region string
	// MaxSkew is the tolerated distance between the request's date and Now;
	// zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	keys keyCache
}

// request is what the signature of one request claims.
type request struct {
	presigned     bool
	accessKey     string
	date          string // credential scope date, YYYYMMDD
	region        string
	service       string
	term          string
	signedHeaders string // as sent
	headerNames   []string
	signature     string
	amzDate       string // request time, ISO 8601 basic
	when          time.Time
	expires       time.Duration
	hasExpires    bool
	contentSHA    string
	params        []queryParam
}

// Verify authenticates r, whose body the caller has already read into body
// (r.Body is not read). It returns the identity, or an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, error) {
	id, _, err := v.VerifyPayload(r, body)
	return id, err
}

// VerifyPayload is Verify that also returns the payload: body itself, or for
// an aws-chunked body (x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD)
// the decoded data, every chunk signature checked.
func (v *Verifier) VerifyPayload(r *http.Request, body []byte) (Identity, []byte, error) {
	id, payload, e := v.verify(r, body)
	if e != nil {
		return Identity{}, nil, e
	}
	return id, payload, nil
}

func (v *Verifier) verify(r *http.Request, body []byte) (Identity, []byte, *Error) {
	in, e := parseRequest(r)
	if e != nil {
		return Identity{}, nil, e
	}
	if e := v.checkScope(in); e != nil {
		return Identity{}, nil, e
	}
	if e := v.checkTime(in); e != nil {
		return Identity{}, nil, e
	}
	var id Identity
	ok := false
	if v.Lookup != nil {
		id, ok = v.Lookup(in.accessKey)
	}
	if !ok {
		return Identity{}, nil, errInvalidToken()
	}

	payloadHash, streaming := in.contentSHA, false
	switch {
	case payloadHash == unsignedPayload:
	case payloadHash == streamingPayload:
		streaming = true
	case strings.HasPrefix(payloadHash, "STREAMING-"):
		return Identity{}, nil, errIncomplete("Unsupported x-amz-content-sha256 value: " + payloadHash)
	default:
		payloadHash = hashHex(body)
	}

	key := v.keys.get(in.accessKey, id.SecretAccessKey, in.date, in.region, in.service)
	sig, canonical, sts := in.sign(r, &key, payloadHash)
	if !hmac.Equal(sig, []byte(in.signature)) {
		// A presigned URL without X-Amz-Content-Sha256 may have been signed
		// over UNSIGNED-PAYLOAD, as S3-style presigners do.
		if !in.presigned || in.contentSHA != "" {
			return Identity{}, nil, errBadSignature(string(canonical), string(sts))
		}
		if s2, _, _ := in.sign(r, &key, unsignedPayload); !hmac.Equal(s2, []byte(in.signature)) {
			return Identity{}, nil, errBadSignature(string(canonical), string(sts))
		}
	}
	if !streaming {
		return id, body, nil
	}
	payload, e := in.decodeChunks(r, body, &key)
	if e != nil {
		return Identity{}, nil, e
	}
	return id, payload, nil
}

func hashHex(b []byte) string {
	if len(b) == 0 {
		return emptySHA256
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// sign computes the signature of the request, returning it as lower-case hex
// with the canonical request and string to sign it was computed from.
func (in *request) sign(r *http.Request, key *[sha256.Size]byte, payloadHash string) (sig, canonical, sts []byte) {
	b := make([]byte, 0, 1024)
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = canonicalURI(b, r)
	b = append(b, '\n')
	skip := ""
	if in.presigned {
		skip = "X-Amz-Signature"
	}
	b = canonicalQuery(b, in.params, skip)
	b = append(b, '\n')
	b = canonicalHeaders(b, r, in.headerNames)
	b = append(b, '\n')
	b = append(b, in.signedHeaders...)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	canonical = b

	h := sha256.Sum256(canonical)
	s := make([]byte, 0, 160)
	s = append(s, algorithm+"\n"...)
	s = append(s, in.amzDate...)
	s = append(s, '\n')
	s = in.appendScope(s)
	s = append(s, '\n')
	s = hex.AppendEncode(s, h[:])
	sts = s

	m := hmac.New(sha256.New, key[:])
	m.Write(sts)
	var sum [sha256.Size]byte
	return hex.AppendEncode(nil, m.Sum(sum[:0])), canonical, sts
}

func (in *request) appendScope(b []byte) []byte {
	b = append(b, in.date...)
	b = append(b, '/')
	b = append(b, in.region...)
	b = append(b, '/')
	b = append(b, in.service...)
	b = append(b, '/')
	return append(b, in.term...)
}

// checkScope compares the credential scope with the verifier's service and
// region and with the request date, reporting every mismatch at once as AWS
// does.
func (v *Verifier) checkScope(in *request) *Error {
	var msg strings.Builder
	if v.Region != "" && in.region != v.Region {
		msg.WriteString("Credential should be scoped to a valid region, not '" + in.region + "'. ")
	}
	if v.Service != "" && in.service != v.Service {
		msg.WriteString("Credential should be scoped to correct service: '" + v.Service + "'. ")
	}
	if in.term != terminator {
		msg.WriteString("Credential should be scoped with a valid terminator: 'aws4_request', not '" + in.term + "'. ")
	}
	if in.date != in.amzDate[:8] {
		msg.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			in.date + "' != '" + in.amzDate[:8] + "', from '" + in.amzDate + "'. ")
	}
	if msg.Len() > 0 {
		return errMismatch(msg.String())
	}
	return nil
}

// checkTime refuses a request dated too far from now, or a presigned URL
// past its X-Amz-Expires.
func (v *Verifier) checkTime(in *request) *Error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if late := t.Add(skew); in.when.After(late) {
		return errExpiredSkew("Signature not yet current: " + in.amzDate + " is still later than " +
			late.Format(isoBasic) + " (" + t.Format(isoBasic) + " + " + skewText(skew) + ".)")
	}
	if in.presigned && in.hasExpires {
		if t.After(in.when.Add(in.expires)) {
			return errRequestExpired()
		}
		return nil
	}
	if early := t.Add(-skew); in.when.Before(early) {
		return errExpiredSkew("Signature expired: " + in.amzDate + " is now earlier than " +
			early.Format(isoBasic) + " (" + t.Format(isoBasic) + " - " + skewText(skew) + ".)")
	}
	return nil
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec"
}
