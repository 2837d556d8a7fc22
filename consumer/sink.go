package consumer

import (
	"context"
	"errors"
	"fmt"
)

// A Sink is where events go. Deliver returns nil only when the event is
// safely in the sink's hands (Kafka acknowledged it, the HTTP endpoint
// answered 2xx, the command exited 0, the file is synced); only then may the
// message be deleted from its queue.
//
// A Deliver error is retriable unless it is marked Permanent: the message is
// left for redelivery. A Permanent error (an HTTP 4xx, an event the sink can
// never accept) sends the event to quarantine at once.
//
// Deliver is called concurrently from many goroutines.
type Sink interface {
	Deliver(ctx context.Context, ev *Event) error
	// Close flushes and releases the sink. It is called once, after the last
	// Deliver returned.
	Close() error
}

// SinkFunc adapts a function to a Sink with a no-op Close.
type SinkFunc func(ctx context.Context, ev *Event) error

// Deliver calls f.
func (f SinkFunc) Deliver(ctx context.Context, ev *Event) error { return f(ctx, ev) }

// Close does nothing.
func (SinkFunc) Close() error { return nil }

// permanentError marks an error as not worth retrying.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as permanent: retrying the same event cannot succeed.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// Permanentf is Permanent(fmt.Errorf(format, args...)).
func Permanentf(format string, args ...any) error {
	return permanentError{fmt.Errorf(format, args...)}
}

// IsPermanent reports whether err (or an error it wraps) was marked
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
