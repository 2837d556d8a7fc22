package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
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
	headerNames   string // signedHeaders in lower case: names separated by ';'
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
	var in request
	if e := parseRequest(r, &in); e != nil {
		return Identity{}, nil, e
	}
	if e := v.checkScope(&in); e != nil {
		return Identity{}, nil, e
	}
	if e := v.checkTime(&in); e != nil {
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

	var bodyHash [2 * sha256.Size]byte
	var payloadHash []byte
	streaming := false
	switch p := in.contentSHA; {
	case p == unsignedPayload:
		payloadHash = []byte(unsignedPayload)
	case p == streamingPayload:
		payloadHash, streaming = []byte(streamingPayload), true
	case strings.HasPrefix(p, "STREAMING-"):
		return Identity{}, nil, errIncomplete("Unsupported x-amz-content-sha256 value: " + p)
	default:
		hashHex(&bodyHash, body)
		payloadHash = bodyHash[:]
	}

	key := v.keys.get(in.accessKey, id.SecretAccessKey, in.date, in.region, in.service)
	buf := getBuf()
	defer putBuf(buf)
	sig, canonical, sts := in.sign(buf, r, &key, payloadHash)
	if !equalSig(sig[:], in.signature) {
		// A presigned URL without X-Amz-Content-Sha256 may have been signed
		// over UNSIGNED-PAYLOAD, as S3-style presigners do.
		if !in.presigned || in.contentSHA != "" {
			return Identity{}, nil, errBadSignature(string(canonical), string(sts))
		}
		c, st := string(canonical), string(sts)
		if s2, _, _ := in.sign(buf, r, &key, []byte(unsignedPayload)); !equalSig(s2[:], in.signature) {
			return Identity{}, nil, errBadSignature(c, st)
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

// equalSig compares a computed signature with the claimed one in constant
// time (for equal lengths), as hmac.Equal does.
func equalSig(sig []byte, claimed string) bool {
	if len(sig) != len(claimed) {
		return false
	}
	var d byte
	for i := range sig {
		d |= sig[i] ^ claimed[i]
	}
	return d == 0
}

// hashHex writes the lower-case hex SHA-256 of b into dst.
func hashHex(dst *[2 * sha256.Size]byte, b []byte) {
	if len(b) == 0 {
		copy(dst[:], emptySHA256)
		return
	}
	h := sha256.Sum256(b)
	hex.Encode(dst[:], h[:])
}

// signBufs recycles the buffers canonical requests and strings to sign are
// built in.
var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return signBufs.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return // do not keep what an unusual request grew
	}
	*b = (*b)[:0]
	signBufs.Put(b)
}

// sign computes the signature of the request, returning it as lower-case hex
// with the canonical request and string to sign it was computed from. Those
// two are built in *buf and valid until its next use.
func (in *request) sign(buf *[]byte, r *http.Request, key *[sha256.Size]byte, payloadHash []byte) (sig [2 * sha256.Size]byte, canonical, sts []byte) {
	b := (*buf)[:0]
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
	n := len(b)
	h := sha256.Sum256(b)

	// HMAC-SHA256(key, sts) = SHA256(key^opad || SHA256(key^ipad || sts)),
	// the inner block written just before the string to sign.
	for i := 0; i < sha256.BlockSize; i++ {
		k := byte(0)
		if i < len(key) {
			k = key[i]
		}
		b = append(b, k^0x36)
	}
	s0 := len(b)
	b = append(b, algorithm+"\n"...)
	b = append(b, in.amzDate...)
	b = append(b, '\n')
	b = in.appendScope(b)
	b = append(b, '\n')
	b = hex.AppendEncode(b, h[:])
	*buf = b
	inner := sha256.Sum256(b[n:])
	var outer [sha256.BlockSize + sha256.Size]byte
	for i := 0; i < sha256.BlockSize; i++ {
		k := byte(0)
		if i < len(key) {
			k = key[i]
		}
		outer[i] = k ^ 0x5c
	}
	copy(outer[sha256.BlockSize:], inner[:])
	mac := sha256.Sum256(outer[:])
	hex.Encode(sig[:], mac[:])
	return sig, b[:n], b[s0:]
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
