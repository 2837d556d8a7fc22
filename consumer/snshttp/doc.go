// Package snshttp is the consumer's SNS HTTP(S) push source: an endpoint
// that Amazon SNS, or a Herald broker, delivers a topic's messages to.
//
// A Handler answers each POST the way SNS's delivery policy expects:
//
//   - every enveloped message is verified with internal/snsverify (its
//     signature, and the host of the certificate that made it) before
//     anything else is done with it;
//   - a SubscriptionConfirmation is confirmed by visiting its SubscribeURL,
//     after the same host check as the certificate's;
//   - a Notification is handed to a consumer.Processor, and the answer is 200
//     only once the processor acknowledged it, 500 otherwise, so that SNS
//     redelivers it. Delivery is therefore at least once.
//
// Status codes tell SNS whether to retry: SNS retries 5xx answers and
// timeouts, and treats 4xx as permanent (no retry; the message goes to the
// subscription's dead-letter queue when it has one). The Handler answers
// 4xx only for requests that can never succeed (malformed, unauthenticated,
// not allowed) and 5xx for failures that may pass (the signing
// certificate or the SubscribeURL could not be reached, the processor
// failed).
//
// A Server runs a Handler on its own listener, over HTTP or HTTPS.
package snshttp
