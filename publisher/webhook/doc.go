// Package webhook delivers notifications to HTTPS endpoints, signed as the
// Standard Webhooks specification (standardwebhooks.com) describes.
//
// Each request carries three headers:
//
//   - webhook-id: the message id, the same on every retry of one delivery
//     (Herald uses the event id), so that receivers can deduplicate;
//   - webhook-timestamp: when the attempt was signed, in Unix seconds;
//   - webhook-signature: space-separated "v1,<base64>" entries, one per
//     secret, so that a subscription can rotate its secret without
//     downtime (sign with the new and the previous secret until every
//     receiver has the new one).
//
// The signature of an entry is the standard-base64 HMAC-SHA256, keyed with
// the secret's bytes, of "<webhook-id>.<webhook-timestamp>.<body>".
//
// Sign computes the webhook-signature value, Verify checks a received
// request (receivers and tests use it), Sender posts a format.Message and
// classifies the outcome as an *Error, and Backoff is the retry policy.
package webhook
