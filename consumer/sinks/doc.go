// Package sinks holds the consumer's sinks that need nothing beyond the
// standard library: HTTP webhooks (HTTP), a command per event (Exec), files
// in a directory (Dir), downloads of a URL the event names (Download), JSON
// lines on standard output (Stdout), and the quarantine directory
// (QuarantineDir).
//
// Every sink implements consumer.Sink and classifies its errors: an error
// marked consumer.Permanent means the same event can never succeed (an HTTP
// 4xx, a command's permanent exit code, a URL on a host that is not
// allowed); any other error is retriable and the message is left for
// redelivery. Each sink passes the event's deduplication key downstream as
// an idempotency key where its protocol has one (the Idempotency-Key header,
// HERALD_KEY in a command's environment, the default file name).
//
// Files are written atomically: into a temporary file in the target
// directory, synced, renamed over the final name, and the directory synced.
// A reader never sees a partial file, and delivering the same event twice
// leaves one file.
package sinks
