package snshttp

import "sync/atomic"

// Reason is why a request was rejected; its String is a stable snake_case
// label for metrics.
type Reason int

// Reasons a request is rejected, with the status it is answered.
const (
	// ReasonMethod: not a POST (405).
	ReasonMethod Reason = iota
	// ReasonTooLarge: the body is larger than MaxBodyBytes (413).
	ReasonTooLarge
	// ReasonMalformed: not an SNS message: bad JSON, a missing field, an
	// unknown Type, a type header that disagrees with the body, a raw
	// delivery without a message id, a body that could not be read (400).
	ReasonMalformed
	// ReasonUnauthenticated: unsigned, a bad signature, a signing
	// certificate URL that is not allowed (scheme or host), or a
	// certificate that is invalid or expired (403).
	ReasonUnauthenticated
	// ReasonCertUnavailable: the signing certificate could not be fetched;
	// SNS will retry (502).
	ReasonCertUnavailable
	// ReasonTopic: the topic is not in TopicArns (403).
	ReasonTopic
	// ReasonRaw: a raw delivery while AllowRaw is off (403).
	ReasonRaw
	// ReasonSubscribeURL: a verified SubscriptionConfirmation whose
	// SubscribeURL is not on an allowed host (403).
	ReasonSubscribeURL

	// NumReasons is the number of reasons, for ranging over Stats.Rejected.
	NumReasons
)

var reasonNames = [NumReasons]string{
	"method", "too_large", "malformed", "unauthenticated", "cert_unavailable",
	"topic", "raw", "subscribe_url",
}

func (r Reason) String() string {
	if r >= 0 && r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Stats count what a Handler did since it was made. Every field is safe
// for concurrent use; read them with Load. Counters only grow.
type Stats struct {
	// Received counts requests, whatever became of them.
	Received atomic.Uint64
	// Rejected counts requests refused, by Reason.
	Rejected [NumReasons]atomic.Uint64
	// Confirmations counts verified SubscriptionConfirmations.
	Confirmations atomic.Uint64
	// Confirmed counts SubscribeURLs visited successfully.
	Confirmed atomic.Uint64
	// ConfirmFailed counts SubscribeURL visits that failed (answered 502,
	// so SNS sends the confirmation again).
	ConfirmFailed atomic.Uint64
	// Unsubscribed counts verified UnsubscribeConfirmations.
	Unsubscribed atomic.Uint64
	// Processed counts notifications the processor acknowledged (200).
	Processed atomic.Uint64
	// Failed counts notifications the processor did not acknowledge (500,
	// so SNS redelivers them).
	Failed atomic.Uint64
}
